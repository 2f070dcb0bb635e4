// The exact shape of the native binding (native/core/addon.cc), as loaded by
// lib/native.ts. Not a public API: use the functions of lib/index.ts.
//
// Calls return 0 (or a byte length) on success and a negative libuv-style
// errno on failure; on failure `slots[slotIndex.failedSyscall]` is the index
// in `syscalls` of the call that failed. Values are written to `slots`, a
// Float64Array owned by this thread's instance of the addon; a keepalive
// request is read from the same slots.

/**
 * The keepalive fields and the type of their values, in the order of
 * `keepaliveFields` (native/core/keepalive.h, TCPKA_KEEPALIVE_FIELDS, defines
 * them): field i has bit 1 << i in masks and slot i. The public
 * KeepaliveOptions (lib/types.ts) documents each; test/public-types.test.ts
 * keeps the two the same.
 */
export interface NativeKeepaliveFields {
  enable: boolean;
  idle: number;
  interval: number;
  count: number;
  userTimeout: number;
}

/** A keepalive field's name. */
export type NativeFieldName = keyof NativeKeepaliveFields;

/**
 * How a field's value is given (native/core/keepalive.h): `flag` a boolean (1 or
 * 0 in the slots), `time` milliseconds, `count` a whole number.
 */
export type NativeFieldKind = 'flag' | 'time' | 'count';

/** Named positions in `slots` (native/core/addon.cc, TCPKA_SLOTS). */
export interface NativeSlotIndex {
  /** Mask of the keepalive fields this platform cannot report. */
  readonly stateUnsupported: number;
  /** Mask of the keepalive fields reported as last set (not read back). */
  readonly stateRemembered: number;
  readonly defaultsIdle: number;
  readonly defaultsInterval: number;
  readonly defaultsCount: number;
  /** 1 where a default is the OS's documented one (no explicit setting). */
  readonly defaultsDocumented: number;
  /** getSockOptInt's value. */
  readonly intValue: number;
  /** On failure, the index in `syscalls` of the call that failed. */
  readonly failedSyscall: number;
}

/**
 * A portable TCP state's name, in the order of `tcpStates` (native/core/keepalive.h,
 * TcpState). The public TcpStateName (lib/types.ts) lists them; the test
 * test/public-types.test.ts holds the addon's list to it.
 */
export type NativeTcpStateName = string;

/**
 * A TCP_INFO slot's name: `state` and the fields besides it, in the order of
 * the addon's X-macro (native/core/keepalive.h, TCPKA_TCP_INFO_FIELDS), which
 * defines them. The public TcpInfo (lib/types.ts) documents each; the test
 * test/public-types.test.ts holds the addon's list to TcpInfo's keys.
 */
export type NativeTcpInfoField = string;

// The public FieldCapability and Capabilities (lib/types.ts) document these.
export interface NativeFieldLimits {
  readonly settable: boolean;
  readonly readable: boolean;
  readonly min: number;
  readonly max: number;
  readonly unitMs: number;
}

export type NativeCapabilities = {
  readonly backend: 'linux' | 'darwin' | 'win32';
  readonly tcpInfo: boolean;
  readonly systemDefaults: boolean;
  readonly listenerInheritance: boolean;
  /**
   * Lowering the idle time of an established connection below the idle
   * already elapsed sends a probe at once: a probe at a chosen moment
   * (measureIdleTimeout() needs it).
   */
  readonly probeAtChosenMoment: boolean;
} & { readonly [F in NativeFieldName]: NativeFieldLimits };

/**
 * Options getSockOpt/setSockOpt refuse on this platform (names first..last
 * at level): their payload holds a pointer or their length is not a byte
 * count. The lists are in the back ends (native/keepalive_<os>.cc).
 */
export interface NativeRefusedOption {
  readonly level: number;
  readonly first: number;
  readonly last: number;
  /** The option's name(s), e.g. "SO_ATTACH_FILTER / SO_GET_FILTER". */
  readonly label: string;
  /** Why it is refused. */
  readonly reason: string;
}

export interface Binding {
  /**
   * Shared slots, in and out. After get/setKeepalive: field i of
   * `keepaliveFields` at slot i (enable 0|1, times in ms), then the masks at
   * `slotIndex.stateUnsupported` and `.stateRemembered`. Before set/
   * writeKeepaliveNoRollback: the request, in the same slots. After
   * getTcpInfo: one slot per name in `tcpInfoFields`, NaN where not
   * available. After (netns)systemDefaults: `slotIndex.defaults*`. After
   * getSockOptInt: `slotIndex.intValue`.
   */
  readonly slots: Float64Array;
  readonly slotIndex: NativeSlotIndex;
  /** Names of the system calls, indexed by the failure slot. */
  readonly syscalls: readonly string[];
  /** The keepalive fields; the index is the field's bit and slot. */
  readonly keepaliveFields: readonly NativeFieldName[];
  /** The socket option of each field, named in errors (SO_KEEPALIVE, ...). */
  readonly keepaliveOptions: readonly string[];
  /** The kind of each field's value, which decides how it is validated. */
  readonly keepaliveFieldKinds: readonly NativeFieldKind[];
  /** Names of the TCP_INFO slots, in order. */
  readonly tcpInfoFields: readonly NativeTcpInfoField[];
  /** Names of the portable TCP states, indexed by the `state` slot. */
  readonly tcpStates: readonly NativeTcpStateName[];
  readonly capabilities: NativeCapabilities;
  /** This platform's socket option numbers (SOL_SOCKET, TCP_KEEPIDLE, ...). */
  readonly constants: Readonly<Record<string, number>>;

  getKeepalive(fd: number): number;
  /**
   * Changes the fields whose bit is set in `fields`, all or nothing, then
   * reads the state back into `slots`. The values are taken from `slots`
   * too, in the state's slots, already validated and rounded up to the unit.
   */
  setKeepalive(fd: number, fields: number): number;
  /**
   * Writes the same request without snapshot, rollback or read-back: for a
   * socket that is destroyed if this fails.
   */
  writeKeepaliveNoRollback(fd: number, fields: number): number;
  getTcpInfo(fd: number): number;
  /** The source of the numbers on success, a negative errno on failure. */
  systemDefaults(): string | number;
  /** Refused by the generic functions here; also enforced by them natively. */
  readonly refusedOptions: readonly NativeRefusedOption[];
  /** The largest payload the generic functions take, in bytes. */
  readonly maxOptionLength: number;

  // The generic functions throw ERR_INVALID_ARG_VALUE for a refused option
  // or a detached view, ERR_INVALID_ARG_TYPE for a value that is not a
  // TypedArray or DataView, ERR_OUT_OF_RANGE for more than maxOptionLength
  // bytes, all before any system call. A view's bytes are read from the
  // engine (true offset and length, SharedArrayBuffer included) and copied
  // through private memory ending at a guard page: an overrun is EFAULT.
  getSockOptInt(fd: number, level: number, name: number): number;
  setSockOptInt(fd: number, level: number, name: number, value: number): number;
  /** Fills `buffer` (never past its end); returns the length written. */
  getSockOptBuffer(fd: number, level: number, name: number, buffer: ArrayBufferView): number;
  setSockOptBuffer(fd: number, level: number, name: number, buffer: ArrayBufferView): number;
  /**
   * Test builds only (TCPKA_TEST_HOOKS, npm run test:asan): lets the get
   * functions pass refused options, to show the guard page at work.
   */
  testAllowRefusedReads?(allow: boolean): void;

  // --- Diagnostics for the command (native/diagnostics/linux/); Linux only, ---
  // --- absent elsewhere. Failures name their call in `syscalls` too.    ---

  /** Bytes per record written by captureRead (layout in native/diagnostics/linux/capture.h). */
  readonly packetRecordSize?: number;
  /**
   * Opens a non-blocking AF_PACKET socket that receives the TCP segments of
   * one flow in both directions, on every interface. `family` is 4, 6, or 0
   * for both (addresses empty then); an empty address or a zero port matches
   * any. Returns the descriptor, or a negative errno (EPERM without
   * CAP_NET_RAW). Close it with fs.closeSync.
   */
  captureOpen?(
    family: number,
    localAddress: string,
    localPort: number,
    remoteAddress: string,
    remotePort: number,
  ): number;
  /** Replaces the flow an open capture receives. */
  captureSetFlow?(
    fd: number,
    family: number,
    localAddress: string,
    localPort: number,
    remoteAddress: string,
    remotePort: number,
  ): number;
  /** Reads the queued segments into `buffer` without blocking: the number of records written. */
  captureRead?(fd: number, buffer: Uint8Array): number;
  /** pidfd_open(2): a descriptor for the process, or a negative errno (ESRCH, EPERM). */
  pidfdOpen?(pid: number): number;
  /**
   * pidfd_getfd(2): this process's duplicate of `targetFd` of the process,
   * or a negative errno (EPERM without ptrace rights, EBADF).
   */
  pidfdGetfd?(pidfd: number, targetFd: number): number;
  /**
   * systemDefaults() as seen inside the network namespace behind `netnsFd`
   * (an open /proc/PID/ns/net): the source on success, a negative errno on
   * failure (EPERM without CAP_SYS_ADMIN).
   */
  netnsSystemDefaults?(netnsFd: number): string | number;
  /**
   * Names of the leading slots of a sock_diag record (native/diagnostics/linux/sock_diag.h);
   * the TCP_INFO slots (`tcpInfoFields`) follow, then at
   * `sockDiagAddressOffset` the local and remote addresses, 16 bytes each.
   */
  readonly sockDiagFields?: readonly string[];
  readonly sockDiagRecordSize?: number;
  readonly sockDiagAddressOffset?: number;
  /** A NETLINK_SOCK_DIAG socket, in the namespace behind `netnsFd` (-1: this one). */
  sockDiagOpen?(netnsFd: number): number;
  /**
   * Dumps the TCP sockets whose ports match (0 = any; family 4, 6 or 0) into
   * `buffer`: the number that matched, which may exceed the records written.
   * With `inodes` (sorted ascending), only those sockets match.
   */
  sockDiagDump?(fd: number, family: number, localPort: number, remotePort: number, buffer: Uint8Array, inodes?: Float64Array): number;
  /**
   * The socket descriptors of process `pid` and their inodes (/proc/PID/fd),
   * in descriptor order, as pairs (fd, inode); or a negative errno.
   */
  processSockets?(pid: number): Float64Array | number;
  /** Slots per descriptor written by processKeepalive. */
  readonly processKeepaliveSlots?: number;
  /**
   * For each of `fds` of the process behind `pidfd`: [0 or a negative errno,
   * the index in `syscalls` of the call that failed, then getKeepalive's
   * slots] in `out`, read through a duplicate closed at
   * once. Returns how many descriptors were read (as many as `out` holds).
   */
  processKeepalive?(pidfd: number, fds: Int32Array, out: Float64Array): number;

  // --- Windows only, absent elsewhere (native/win/backend.h, native/win/binding.cc). ---

  /**
   * The SOCKET of the TCP handle of this thread's event loop whose addresses
   * are these (families 4 or 6; remote family 0 for a listening socket,
   * which must have no peer). `method`: 0 uv_walk where the host exports
   * libuv, else a scan of handle values; 1 uv_walk only; 2 scan only.
   * Returns the SOCKET, or a negative errno: ENOTCONN (a connection) or
   * EBADF (a listening socket) when none matches.
   */
  findSocket?(
    localFamily: number,
    localAddress: string,
    localPort: number,
    remoteFamily: number,
    remoteAddress: string,
    remotePort: number,
    method: number,
  ): number;
}
