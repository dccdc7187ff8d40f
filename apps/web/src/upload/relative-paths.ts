/**
 * Where a picked or dropped file sat in its folder tree (`Trip/day 1/photo.jpg`). A folder picker gives it as
 * `webkitRelativePath`; a dropped tree is walked by folder-drop.ts, which records it here. The path travels as the
 * announced name and becomes the upload's `folderPath` (state.ts): folders are metadata, never part of a key.
 */
const paths = new WeakMap<File, string>();

export function setRelativePath(file: File, path: string): void {
  paths.set(file, path);
}

/** The file's path in its tree, or "" for a file picked or dropped on its own. */
export function relativePathOf(file: File): string {
  return paths.get(file) ?? file.webkitRelativePath ?? "";
}

/** A `folder/…/name` path as the folders and the name `files.createUpload` takes. */
export function splitRelativePath(name: string): { folderPath: string | null; filename: string } {
  const parts = name.split("/").filter((p) => p.length > 0);
  if (parts.length < 2) return { folderPath: null, filename: name };
  return { folderPath: parts.slice(0, -1).join("/"), filename: parts.at(-1)! };
}
