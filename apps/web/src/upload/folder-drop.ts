import { setRelativePath } from "./relative-paths.ts";

/** A dropped tree: its files (each with its relative path recorded) and every folder in it, empty ones included. */
export interface DroppedTree {
  files: File[];
  folders: string[];
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Every entry of a directory: readEntries answers in batches until it answers none. */
async function entriesOf(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

async function walk(entry: FileSystemEntry, prefix: string, tree: DroppedTree): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await fileOf(entry as FileSystemFileEntry);
    if (prefix) setRelativePath(file, path);
    tree.files.push(file);
    return;
  }
  if (!entry.isDirectory) return;
  tree.folders.push(path);
  for (const child of await entriesOf(entry as FileSystemDirectoryEntry)) await walk(child, path, tree);
}

/**
 * The files and folders of a drop, walking dropped folders recursively (`webkitGetAsEntry`). Entries are taken
 * synchronously first: the DataTransfer is emptied once the drop handler returns.
 */
export async function droppedTree(data: DataTransfer): Promise<DroppedTree> {
  const tree: DroppedTree = { files: [], folders: [] };
  const entries = Array.from(data.items, (item) => (item.kind === "file" ? item.webkitGetAsEntry() : null));
  const loose = Array.from(data.files);
  for (const [i, entry] of entries.entries()) {
    if (entry) await walk(entry, "", tree);
    else if (loose[i]) tree.files.push(loose[i]!);
  }
  // A browser that gives no entries at all still gives the files.
  if (entries.every((e) => e === null) && tree.files.length === 0) tree.files.push(...loose);
  return tree;
}
