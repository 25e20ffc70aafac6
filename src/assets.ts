import { fileURLToPath } from 'node:url';

/**
 * The live board's files: src/web next to this module when run from source, dist/web (copied there by
 * scripts/copy-assets.mjs) when built. The HTTP front serves them at `/`; the MCP App inlines them.
 */
export const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));
