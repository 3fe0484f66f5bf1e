/**
 * Types of `assetgen:` imports for apps built with `assetgen/vite`: add
 * `/// <reference types="assetgen/vite-client" />` (or `"types": ["assetgen/vite-client"]` in tsconfig).
 */
declare module 'assetgen:*' {
  import type { AssetgenImage } from 'assetgen/vite';

  const image: AssetgenImage;
  export default image;
}
