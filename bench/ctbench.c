// SPDX-License-Identifier: GPL-2.0
/*
 * ctbench: the in-process traffic generators of rct's benchmark
 * (scripts/guest/bench.sh). IPv4 only. Every client prints one line
 * "KEY VALUE ..." on stdout; rates use CLOCK_MONOTONIC, which under
 * QEMU -icount counts guest instructions (1 ns per instruction).
 *
 *   ctbench udp-echo PORT                  answer every datagram (forever)
 *   ctbench udp-sink PORT                  count datagrams until 1 s of silence;
 *                                          prints "pps RATE packets N"
 *   ctbench tcp-server PORT                accept and close at once (forever)
 *   ctbench tcp-sink PORT                  accept one connection at a time and read it
 *                                          to EOF; prints "mbps RATE" per connection
 *   ctbench tcp-stream DST PORT SECONDS    one connection writing 64 KiB at a time
 *   ctbench udp-rr SRC NSRC FIRSTPORT DST PORT SECONDS
 *                                          one new UDP flow per request: a socket
 *                                          bound to a fresh source (address SRC+i,
 *                                          port from FIRSTPORT), one datagram, wait
 *                                          for the reply; prints "rate FLOWS_PER_S"
 *   ctbench tcp-crr SRC NSRC FIRSTPORT DST PORT SECONDS
 *                                          one TCP connection per iteration from a
 *                                          fresh source: connect, read to EOF (the
 *                                          server closes first), close
 *   ctbench udp-hole PORT                  a bound UDP socket that never reads: what
 *                                          it is sent is dropped once its buffer is full
 *   ctbench udp-flood DST PORT SECONDS [SPORT NDST]
 *                                          18-byte datagrams of one flow (or from
 *                                          SPORT to NDST addresses DST+i, in turn; NDST
 *                                          divides 64), batches of 64 (sendmmsg);
 *                                          prints "pps RATE sent N"
 *   ctbench fill DST NDST FIRSTPORT START N
 *                                          one-way UDP flows START..START+N-1 from one
 *                                          socket; flow i goes to DST+j:port (ports
 *                                          FIRSTPORT..65535, then the next address j);
 *                                          prints "rate FLOWS_PER_S"
 *   ctbench seed-rng FILE                  credit FILE's bytes (random bytes from the
 *                                          host) to the kernel's random pool, as rngd
 *                                          would: a guest without an entropy source
 *                                          may otherwise block in getrandom() for minutes
 *   ctbench probe DST PORT SECONDS GAP_US [STOPFILE]
 *                                          UDP ping-pong to a udp-echo every GAP_US
 *                                          until SECONDS pass or STOPFILE exists; prints
 *                                          "max_us M p99_us P median_us D n N lost L"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static struct sockaddr_in addr_of(const char *ip, unsigned int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", ip);
		exit(2);
	}
	return a;
}

/* The address I places after BASE (host order arithmetic). */
static struct sockaddr_in addr_plus(struct sockaddr_in base, unsigned int i, unsigned int port)
{
	base.sin_addr.s_addr = htonl(ntohl(base.sin_addr.s_addr) + i);
	base.sin_port = htons(port);
	return base;
}

static int udp_socket(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		die("socket");
	return s;
}

static int bound(int type, struct sockaddr_in a)
{
	int one = 1, s = socket(AF_INET, type, 0);

	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	return s;
}

static void __attribute__((noreturn)) udp_echo(unsigned int port)
{
	int s = bound(SOCK_DGRAM, addr_of("0.0.0.0", port));
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in peer[BATCH];
	static char buf[BATCH][2048];
	int i, n;

	for (;;) {
		for (i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
			m[i].msg_hdr = (struct msghdr){ .msg_name = &peer[i],
							.msg_namelen = sizeof(peer[i]),
							.msg_iov = &iov[i],
							.msg_iovlen = 1 };
		}
		n = recvmmsg(s, m, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0)
			continue;
		for (i = 0; i < n; i++)
			iov[i].iov_len = m[i].msg_len;
		sendmmsg(s, m, n, 0);
	}
}

static int udp_sink(unsigned int port)
{
	int s = bound(SOCK_DGRAM, addr_of("0.0.0.0", port)), rcvbuf = 4 << 20, i, n;
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	static char buf[BATCH][64];
	struct timeval tv = { 1, 0 };
	unsigned long count = 0;
	double first = 0, last = 0;

	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	printf("ready\n");
	fflush(stdout);
	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
		m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	/* Wait as long as it takes for the first datagram, then 1 s at most. */
	for (;;) {
		n = recvmmsg(s, m, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			continue;
		}
		if (!count) {
			first = now();
			setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			count = n - 1; /* the rate counts from the first arrival */
		} else {
			count += n;
		}
		last = now();
	}
	printf("pps %.1f packets %lu\n", last > first ? count / (last - first) : 0.0, count + 1);
	return 0;
}

static void __attribute__((noreturn)) udp_hole(unsigned int port)
{
	int s = bound(SOCK_DGRAM, addr_of("0.0.0.0", port)), small = 4096;

	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	printf("ready\n");
	for (;;)
		pause();
}

static void __attribute__((noreturn)) tcp_server(unsigned int port)
{
	int s = bound(SOCK_STREAM, addr_of("0.0.0.0", port)), c;

	if (listen(s, 4096) < 0)
		die("listen");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}

static void __attribute__((noreturn)) tcp_sink(unsigned int port)
{
	int s = bound(SOCK_STREAM, addr_of("0.0.0.0", port)), c;
	static char buf[1 << 16];
	unsigned long bytes;
	double first, last;
	ssize_t n;

	if (listen(s, 16) < 0)
		die("listen");
	printf("ready\n");
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		bytes = 0;
		first = last = now();
		while ((n = read(c, buf, sizeof(buf))) > 0) {
			bytes += n;
			last = now();
		}
		close(c);
		printf("mbps %.1f bytes %lu\n", last > first ? bytes * 8 / (last - first) / 1e6 : 0.0,
		       bytes);
	}
}

static int tcp_stream(char **av)
{
	struct sockaddr_in dst = addr_of(av[0], atoi(av[1]));
	double end = now() + atof(av[2]);
	static char buf[1 << 16];
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		die("connect");
	while (now() < end)
		if (write(s, buf, sizeof(buf)) < 0)
			die("write");
	close(s);
	return 0;
}

/* Source I of a client: address SRC + I / ports, port FIRST + I % ports. */
static struct sockaddr_in source(struct sockaddr_in src, unsigned int nsrc, unsigned int first,
				 unsigned long i)
{
	unsigned int ports = 65536 - first;

	if (i / ports >= nsrc) {
		fprintf(stderr, "out of source tuples after %lu flows\n", i);
		exit(3);
	}
	return addr_plus(src, i / ports, first + i % ports);
}

static int flows(int tcp, char **av)
{
	struct sockaddr_in src = addr_of(av[0], 0), dst = addr_of(av[3], atoi(av[4]));
	unsigned int nsrc = atoi(av[1]), first = atoi(av[2]);
	double secs = atof(av[5]), start = now(), end = start + secs, t;
	struct timeval tv = { 1, 0 };
	unsigned long i, lost = 0;
	char b[64];

	for (i = 0;; i++) {
		int s = bound(tcp ? SOCK_STREAM : SOCK_DGRAM, source(src, nsrc, first, i));

		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (tcp) {
			if (connect(s, (struct sockaddr *)&dst, sizeof(dst)) < 0)
				lost++;
			else
				while (read(s, b, sizeof(b)) > 0)
					;
		} else {
			if (sendto(s, "q", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) != 1 ||
			    recv(s, b, sizeof(b), 0) != 1)
				lost++;
		}
		close(s);
		t = now();
		if (t >= end)
			break;
	}
	printf("rate %.1f flows %lu lost %lu\n", (i + 1) / (t - start), i + 1, lost);
	return 0;
}

static int udp_flood(int ac, char **av)
{
	struct sockaddr_in dst = addr_of(av[0], atoi(av[1])), to[BATCH];
	unsigned int ndst = ac > 4 ? atoi(av[4]) : 0;
	double start = now(), end = start + atof(av[2]);
	int s = udp_socket(), i, n;
	struct mmsghdr m[BATCH];
	struct iovec iov = { "rct-bench-payload!", 18 };
	unsigned long sent = 0;

	for (i = 0; i < BATCH; i++)
		m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
	if (ndst) {
		/* Fixed source port, NDST destinations (flows) in turn. */
		int one = 1;
		struct sockaddr_in src = addr_of("0.0.0.0", atoi(av[3]));

		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&src, sizeof(src)) < 0)
			die("bind");
		for (i = 0; i < BATCH; i++) {
			to[i] = addr_plus(dst, i % ndst, atoi(av[1]));
			m[i].msg_hdr.msg_name = &to[i];
			m[i].msg_hdr.msg_namelen = sizeof(to[i]);
		}
	} else if (connect(s, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		die("connect");
	}
	while (now() < end) {
		n = sendmmsg(s, m, BATCH, 0);
		if (n > 0)
			sent += n;
	}
	printf("pps %.1f sent %lu\n", sent / (now() - start), sent);
	return 0;
}

static int fill(char **av)
{
	struct sockaddr_in dst = addr_of(av[0], 0), to[BATCH];
	unsigned int ndst = atoi(av[1]), first = atoi(av[2]), ports = 65536 - first;
	unsigned long i = strtoul(av[3], NULL, 0), n = i + strtoul(av[4], NULL, 0);
	struct mmsghdr m[BATCH];
	struct iovec iov = { "f", 1 };
	double start = now();
	int s = udp_socket(), k, r;

	if (n > (unsigned long)ndst * ports) {
		fprintf(stderr, "fill: %lu flows need more than %u addresses\n", n, ndst);
		return 2;
	}
	while (i < n) {
		for (k = 0; k < BATCH && i + k < n; k++) {
			to[k] = addr_plus(dst, (i + k) / ports, first + (i + k) % ports);
			m[k].msg_hdr = (struct msghdr){ .msg_name = &to[k],
							.msg_namelen = sizeof(to[k]),
							.msg_iov = &iov,
							.msg_iovlen = 1 };
		}
		r = sendmmsg(s, m, k, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
				continue;
			die("sendmmsg");
		}
		i += r;
	}
	printf("rate %.1f flows %lu\n", (n - strtoul(av[3], NULL, 0)) / (now() - start), n);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int probe(int ac, char **av)
{
	const char *stopfile = ac > 4 ? av[4] : NULL;
	struct sockaddr_in dst = addr_of(av[0], atoi(av[1]));
	double end = now() + atof(av[2]), t0, rtt, *all;
	useconds_t gap = atoi(av[3]);
	unsigned long n = 0, cap = 1 << 20, lost = 0;
	struct pollfd p;
	char b[16];
	int s = udp_socket();

	all = malloc(cap * sizeof(*all));
	if (!all)
		die("malloc");
	if (connect(s, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		die("connect");
	p = (struct pollfd){ .fd = s, .events = POLLIN };
	while (now() < end && n < cap && !(stopfile && !access(stopfile, F_OK))) {
		t0 = now();
		if (send(s, "p", 1, 0) != 1 || poll(&p, 1, 1000) != 1 || recv(s, b, sizeof(b), 0) != 1) {
			lost++;
			continue;
		}
		rtt = (now() - t0) * 1e6;
		all[n++] = rtt;
		if (gap)
			usleep(gap);
	}
	if (!n) {
		printf("max_us 0 p99_us 0 n 0 lost %lu\n", lost);
		return 1;
	}
	qsort(all, n, sizeof(*all), cmp_double);
	printf("max_us %.0f p99_us %.0f median_us %.0f n %lu lost %lu\n", all[n - 1],
	       all[n * 99 / 100], all[n / 2], n, lost);
	return 0;
}

static int seed_rng(const char *file)
{
	struct {
		struct rand_pool_info info;
		unsigned char buf[64];
	} req;
	int in = open(file, O_RDONLY), out = open("/dev/random", O_WRONLY);
	ssize_t n = in < 0 ? -1 : read(in, req.buf, sizeof(req.buf));

	if (n <= 0 || out < 0) {
		perror("seed-rng");
		return 1;
	}
	req.info.entropy_count = (int)n * 8;
	req.info.buf_size = (int)n;
	if (ioctl(out, RNDADDENTROPY, &req) < 0) {
		perror("seed-rng: RNDADDENTROPY");
		return 1;
	}
	return 0;
}

int main(int ac, char **av)
{
	const char *cmd = ac > 1 ? av[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "udp-echo") && ac == 3)
		udp_echo(atoi(av[2]));
	if (!strcmp(cmd, "udp-sink") && ac == 3)
		return udp_sink(atoi(av[2]));
	if (!strcmp(cmd, "tcp-server") && ac == 3)
		tcp_server(atoi(av[2]));
	if (!strcmp(cmd, "tcp-sink") && ac == 3)
		tcp_sink(atoi(av[2]));
	if (!strcmp(cmd, "tcp-stream") && ac == 5)
		return tcp_stream(av + 2);
	if (!strcmp(cmd, "udp-rr") && ac == 8)
		return flows(0, av + 2);
	if (!strcmp(cmd, "tcp-crr") && ac == 8)
		return flows(1, av + 2);
	if (!strcmp(cmd, "udp-flood") && (ac == 5 || ac == 7))
		return udp_flood(ac - 2, av + 2);
	if (!strcmp(cmd, "fill") && ac == 7)
		return fill(av + 2);
	if (!strcmp(cmd, "probe") && (ac == 6 || ac == 7))
		return probe(ac - 2, av + 2);
	if (!strcmp(cmd, "seed-rng") && ac == 3)
		return seed_rng(av[2]);
	if (!strcmp(cmd, "udp-hole") && ac == 3)
		udp_hole(atoi(av[2]));
	fprintf(stderr, "usage: see the comment at the top of ctbench.c\n");
	return 2;
}
