// `pnpm dev` (tsx watch): the API behind Vite's dev server on http://localhost:5173, which proxies /trpc and /api
// here. The browser's origin is then Vite's, and the API trusts exactly one origin (cookies, CSRF, the bucket's
// CORS rule), so that origin is the default PUBLIC_URL here; an explicit PUBLIC_URL still wins.
import { serveNode } from "./entry/node-serve.ts";
import { run } from "./entry/run.ts";

await run(serveNode, { PUBLIC_URL: "http://localhost:5173" });
