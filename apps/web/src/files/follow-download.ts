/**
 * Follows a download URL without leaving the page: the URL answers with `Content-Disposition: attachment`, so the
 * browser saves the file instead of navigating.
 */
export function followDownload(url: string): void {
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.rel = "noopener";
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}
