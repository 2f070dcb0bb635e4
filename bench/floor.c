/*
 * The C floor: the exact system calls each library function makes, with
 * nothing around them, on a connected loopback TCP socket (and a listening
 * one). Built and run by the bench (build/bench/c-floor); not part of the addon.
 *
 *   c-floor bench [--thread] NAME=ITERATIONS ...
 *                                    times each case, prints one JSON object
 *                                    {"NAME": ns_per_op, ...}; --thread first
 *                                    starts an idle second thread, as every
 *                                    Node process has several
 *   c-floor trace ITERATIONS           runs every case ITERATIONS times between
 *                                    "@@bench:NAME" markers written to stderr,
 *                                    for the bench's strace comparison
 *
 * Every case alternates TCP_KEEPIDLE between 60 and 61 s, as the JavaScript
 * cases do, so that no layer could skip a call as a no-op.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef TCP_USER_TIMEOUT
#define TCP_USER_TIMEOUT 18
#endif

/* The addon offers the kernel a struct tcp_info of 240 bytes (Linux 6.2's
 * layout); offer the same so the kernel copies the same amount. */
#define TCP_INFO_BYTES 240

static int client_fd = -1;
static int listen_fd = -1;

static void die(const char *what) {
  fprintf(stderr, "c-floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void get_int(int fd, int level, int name, int *value) {
  socklen_t length = sizeof(*value);
  if (getsockopt(fd, level, name, value, &length) != 0) die("getsockopt");
}

static void set_int(int fd, int level, int name, int value) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) die("setsockopt");
}

/* The library's write order: timers first, the switch last. */
static void set4(int fd, long i) {
  set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 60 + (int)(i & 1));
  set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 5);
  set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 4);
  set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
}

/* The read-back of the four changed options, in the library's read order. */
static void readback4(int fd) {
  int v;
  get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v);
  get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v);
  get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &v);
  get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &v);
}

/* getKeepalive: the five options, IPPROTO_TCP first. */
static void get5(int fd) {
  int v;
  get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v);
  get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v);
  get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &v);
  get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v);
  get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &v);
}

static void case_set4(long i) { set4(client_fd, i); }
static void case_set4_readback(long i) { set4(client_fd, i); readback4(client_fd); }
/* setKeepalive: snapshot, writes, read-back. */
static void case_set_keepalive(long i) { get5(client_fd); set4(client_fd, i); readback4(client_fd); }
static void case_get_keepalive(long i) { (void)i; get5(client_fd); }
static void case_get_tcp_info(long i) {
  unsigned long long info[TCP_INFO_BYTES / 8];
  socklen_t length = sizeof(info);
  (void)i;
  if (getsockopt(client_fd, IPPROTO_TCP, TCP_INFO, info, &length) != 0) die("getsockopt");
}
static void case_server_set_keepalive(long i) { get5(listen_fd); set4(listen_fd, i); readback4(listen_fd); }
/* Leaner sequences for the same job, for comparison: read only the field left
 * untouched (TCP_USER_TIMEOUT, part of the result) instead of the snapshot,
 * with and without the read-back. */
static void untouched1(int fd) {
  int v;
  get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v);
}
static void case_set9(long i) { untouched1(client_fd); set4(client_fd, i); readback4(client_fd); }
static void case_set5(long i) { untouched1(client_fd); set4(client_fd, i); }

struct bench_case {
  const char *name;
  void (*op)(long i);
};

static const struct bench_case CASES[] = {
    {"floor.set4", case_set4},
    {"floor.set4-readback", case_set4_readback},
    {"floor.setKeepalive", case_set_keepalive},
    {"floor.getKeepalive", case_get_keepalive},
    {"floor.getTcpInfo", case_get_tcp_info},
    {"floor.server-setKeepalive", case_server_set_keepalive},
    {"floor.set9", case_set9},
    {"floor.set5", case_set5},
};
#define CASE_COUNT (sizeof(CASES) / sizeof(CASES[0]))

static const struct bench_case *find_case(const char *name, size_t length) {
  for (size_t i = 0; i < CASE_COUNT; i++)
    if (strlen(CASES[i].name) == length && strncmp(CASES[i].name, name, length) == 0) return &CASES[i];
  return NULL;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* A connected pair on 127.0.0.1; the accepted end only keeps the connection up. */
static void connect_loopback(void) {
  struct sockaddr_in address;
  socklen_t length = sizeof(address);
  memset(&address, 0, sizeof(address));
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd < 0) die("socket");
  if (bind(listen_fd, (struct sockaddr *)&address, sizeof(address)) != 0) die("bind");
  if (listen(listen_fd, 8) != 0) die("listen");
  if (getsockname(listen_fd, (struct sockaddr *)&address, &length) != 0) die("getsockname");
  client_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (client_fd < 0) die("socket");
  if (connect(client_fd, (struct sockaddr *)&address, sizeof(address)) != 0) die("connect");
  if (accept(listen_fd, NULL, NULL) < 0) die("accept");
}

/* Once a process has a second thread sharing its descriptor table, the kernel
 * takes a reference on the file at every fd lookup (the single-threaded fast
 * path of fdget() no longer applies): each socket call costs more. */
static void *idle_thread(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static int bench(int argc, char **argv) {
  if (argc > 0 && strcmp(argv[0], "--thread") == 0) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, idle_thread, NULL) != 0) die("pthread_create");
    argc--;
    argv++;
  }
  printf("{");
  for (int a = 0; a < argc; a++) {
    const char *equals = strchr(argv[a], '=');
    const struct bench_case *c = equals ? find_case(argv[a], (size_t)(equals - argv[a])) : NULL;
    long iterations = equals ? strtol(equals + 1, NULL, 10) : 0;
    if (c == NULL || iterations <= 0) {
      fprintf(stderr, "c-floor: bad case '%s'\n", argv[a]);
      return 2;
    }
    /* A short warm-up brings caches and branch predictors to the steady state
     * the JavaScript cases reach after their own warm-up. */
    for (long i = 0; i < iterations / 8 + 16; i++) c->op(i);
    double start = now_ns();
    for (long i = 0; i < iterations; i++) c->op(i);
    double elapsed = now_ns() - start;
    printf("%s\"%s\":%.3f", a ? "," : "", c->name, elapsed / (double)iterations);
  }
  printf("}\n");
  return 0;
}

static int trace(long iterations) {
  for (size_t k = 0; k < CASE_COUNT; k++) {
    fprintf(stderr, "@@bench:%s\n", CASES[k].name);
    fflush(stderr);
    for (long i = 0; i < iterations; i++) CASES[k].op(i);
  }
  fprintf(stderr, "@@bench:end\n");
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stderr, NULL, _IONBF, 0);
  if (argc >= 2 && strcmp(argv[1], "list") == 0) {
    for (size_t k = 0; k < CASE_COUNT; k++) printf("%s\n", CASES[k].name);
    return 0;
  }
  connect_loopback();
  if (argc >= 3 && strcmp(argv[1], "bench") == 0) return bench(argc - 2, argv + 2);
  if (argc == 3 && strcmp(argv[1], "trace") == 0) return trace(strtol(argv[2], NULL, 10));
  fprintf(stderr, "usage: c-floor list | bench NAME=ITERATIONS... | trace ITERATIONS\n");
  return 2;
}
