import { singlePut, type UploadEndpoint } from "./endpoints.ts";

/** Signet's `profile.createImageUpload` / `completeImageUpload`, as plain async functions. */
export interface ProfileImageApi<I> {
  createImageUpload(input: {
    contentType: string;
    fileSize: number;
    originalFilename?: string;
    checksumSha256?: string;
  }): Promise<{ presignedUrl: string; method: "PUT"; headers: Record<string, string>; key: string }>;
  completeImageUpload(): Promise<I>;
}

/**
 * Uploads the user's profile image: the result is the new image. Nothing needs releasing on abort: the PUT goes
 * to a per-upload staging key that only `completeImageUpload` ever promotes.
 */
export function profileImageEndpoint<I>(api: ProfileImageApi<I>): UploadEndpoint<I> {
  return {
    async announce(file) {
      const ticket = await api.createImageUpload({
        contentType: file.contentType,
        fileSize: file.size,
        originalFilename: file.name,
        checksumSha256: file.checksumSha256,
      });
      return singlePut(ticket.key, ticket.presignedUrl, ticket);
    },
    complete: () => api.completeImageUpload(),
    abort: async () => {},
  };
}
