import type { Ref } from "vue";

/** Runs `work` with `busy` set and clears it however the work ends, so a form cannot be sent twice at once. */
export async function whileBusy<T>(busy: Ref<boolean>, work: () => Promise<T>): Promise<T> {
  busy.value = true;
  try {
    return await work();
  } finally {
    busy.value = false;
  }
}
