import { describe, expect, it } from "vitest";
import { droppedTree } from "./folder-drop.ts";
import { relativePathOf } from "./relative-paths.ts";

/** A directory tree as the File and Directory Entries API hands it to a drop (readEntries in batches of 2). */
type Node = File | { [name: string]: Node };

function entry(name: string, node: Node): FileSystemEntry {
  if (node instanceof File) {
    return { name, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => ok(node) } as never;
  }
  const children = Object.entries(node).map(([n, child]) => entry(n, child));
  return {
    name,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (ok: (batch: FileSystemEntry[]) => void) => {
          ok(children.slice(at, at + 2));
          at += 2;
        },
      };
    },
  } as never;
}

function drop(roots: Record<string, Node>): DataTransfer {
  const entries = Object.entries(roots).map(([name, node]) => entry(name, node));
  const loose = Object.values(roots).filter((n): n is File => n instanceof File);
  return {
    items: entries.map((e) => ({ kind: "file", webkitGetAsEntry: () => e })),
    files: loose,
  } as never;
}

describe("droppedTree", () => {
  it("walks dropped folders recursively, keeps empty ones, and records each file's path", async () => {
    const a = new File(["a"], "a.txt");
    const b = new File(["b"], "b.txt");
    const c = new File(["c"], "c.txt");
    const d = new File(["d"], "d.txt");
    const loose = new File(["x"], "loose.txt");
    const tree = await droppedTree(
      drop({
        Trip: { "a.txt": a, "b.txt": b, "c.txt": c, Day1: { "d.txt": d }, Empty: {} },
        "loose.txt": loose,
      }),
    );
    expect(tree.folders.sort()).toEqual(["Trip", "Trip/Day1", "Trip/Empty"]);
    expect(tree.files.map((f) => relativePathOf(f) || f.name).sort()).toEqual([
      "Trip/Day1/d.txt",
      "Trip/a.txt",
      "Trip/b.txt",
      "Trip/c.txt",
      "loose.txt",
    ]);
  });
});
