declare module 'node-gyp-build' {
  /** Loads the addon for this platform from `dir`'s prebuilds/ or build/. */
  function load(dir: string): unknown;
  namespace load {
    /** The file load() would load; throws "No native build was found..." when none matches. */
    function resolve(dir: string): string;
  }
  export = load;
}
