declare module 'node-gyp-build' {
  /** Loads the addon for this platform from `dir`'s prebuilds/ or build/. */
  function load(dir: string): unknown;
  export = load;
}
