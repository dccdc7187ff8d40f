import { type Ref, ref } from "vue";
import { whileBusy } from "../ui/busy.ts";
import { type FieldErrors, placeAuthError } from "./forms.ts";
import { forgetSession } from "./session.ts";

export interface UseAuthFormOptions<F extends object> {
  /** The form's fields (reactive), as the inputs edit them. */
  fields: F;
  /** Errors per field before anything is sent; empty when the form may be sent. */
  validate(fields: F): FieldErrors<keyof F & string>;
  /** The Better Auth call (sign in, sign up); its error is placed next to its field or above the form. */
  send(fields: F): Promise<{ error: Parameters<typeof placeAuthError>[0] }>;
  /** Where to go once signed in. */
  done(): Promise<unknown>;
}

export interface UseAuthFormReturn<F extends object> {
  errors: Ref<FieldErrors<keyof F & string>>;
  /** An error about no single field (wrong credentials, too many attempts, offline). */
  formError: Ref<string | null>;
  busy: Ref<boolean>;
  submit(): Promise<void>;
}

/**
 * A signed-out form that ends in a session (sign in, sign up): validate, send once at a time, show Better Auth's
 * refusal where it belongs, and on success forget the cached "signed out" answer before moving on.
 */
export function useAuthForm<F extends object>(options: UseAuthFormOptions<F>): UseAuthFormReturn<F> {
  const errors = ref({}) as Ref<FieldErrors<keyof F & string>>;
  const formError = ref<string | null>(null);
  const busy = ref(false);

  async function submit() {
    formError.value = null;
    errors.value = options.validate(options.fields);
    if (Object.keys(errors.value).length > 0) return;
    await whileBusy(busy, async () => {
      const { error } = await options.send(options.fields);
      if (error) {
        const placed = placeAuthError(error);
        // A field this form does not have (sign-in has no name) is reported above the form.
        if (placed.field && placed.field in options.fields) {
          errors.value = { [placed.field]: placed.message } as FieldErrors<keyof F & string>;
        } else formError.value = placed.message;
        return;
      }
      forgetSession();
      await options.done();
    });
  }

  return { errors, formError, busy, submit };
}
