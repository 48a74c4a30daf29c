/*
 * Argon2id alone, on all cores: the ceiling for password sign-ins.
 *
 * Starts THREADS threads (default: the number of online CPUs); each verifies one encoded
 * Argon2id hash (default parameters m=19456 KiB, t=2, p=1, as Sekisho stores them) in a loop
 * for SECONDS seconds. Prints the verifications per second over all threads.
 *
 * Build: gcc -O2 -pthread -o argon2_bench argon2_bench.c -largon2
 * Usage: argon2_bench [SECONDS] [THREADS] [MEMORY_KIB] [ITERATIONS]
 */
#include <argon2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *password = "bench-password-1";
static char encoded[256];
static atomic_int stop_flag;
static atomic_long total;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg) {
    (void)arg;
    long n = 0;
    while (!atomic_load(&stop_flag)) {
        if (argon2id_verify(encoded, password, strlen(password)) != ARGON2_OK) {
            fprintf(stderr, "verify failed\n");
            exit(1);
        }
        n++;
    }
    atomic_fetch_add(&total, n);
    return NULL;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 10.0;
    long threads = argc > 2 ? atol(argv[2]) : sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t m = argc > 3 ? (uint32_t)atol(argv[3]) : 19456;
    uint32_t t = argc > 4 ? (uint32_t)atol(argv[4]) : 2;
    uint8_t salt[16] = "sekisho-benchslt";
    int rc = argon2id_hash_encoded(t, m, 1, password, strlen(password), salt, sizeof salt, 32, encoded, sizeof encoded);
    if (rc != ARGON2_OK) {
        fprintf(stderr, "hash failed: %s\n", argon2_error_message(rc));
        return 1;
    }
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    double began = now_s();
    for (long i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, NULL);
    struct timespec pause = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&pause, NULL);
    atomic_store(&stop_flag, 1);
    for (long i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    double elapsed = now_s() - began;
    printf("argon2id: m=%u t=%u p=1 threads=%ld verifies=%ld seconds=%.2f per_s=%.1f\n", m, t, threads, atomic_load(&total), elapsed,
           atomic_load(&total) / elapsed);
    return 0;
}
