// Unicode control characters (C0, DEL, C1). Keys, header values and metadata must never contain them: they
// would split headers, confuse logs, or be rewritten by some hop between the browser and the bucket.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the purpose.
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the purpose.
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: credentials may contain neither spaces nor controls.
export const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f]/;
