/** Outcome of a user action: either a value or a message ready to show next to the control. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs an API call and turns any failure into a human message. */
export async function attempt<T>(
  run: () => Promise<T>,
  describe: (error: unknown) => string,
): Promise<Result<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error: describe(error) };
  }
}
