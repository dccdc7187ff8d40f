/**
 * The files domain as its callers see it (the files router, the Uppy routes): one entry point per procedure,
 * each living in the module of its concept.
 */

export { downloadUrl, shareUrl } from "./downloads.ts";
export { listFileManager } from "./file-listing.ts";
export { deleteFiles, moveFiles, renameFile, updateFileMetadata } from "./file-metadata.ts";
export { deleteFile, getFile, listFiles } from "./file-record.ts";
export { searchFiles } from "./file-search.ts";
export { abortUpload, completeUpload, createUpload } from "./file-uploads.ts";
export { listUploadParts, signUploadParts } from "./multipart-plan.ts";
export { completeThumbnailUpload, createThumbnailUpload, thumbnailUrls } from "./thumbnails.ts";
export { usage } from "./usage.ts";
