/*
 * A Kafka-protocol broker for tests: librdkafka's mock cluster (rdkafka_mock.h) with N brokers
 * and the given topics pre-created (the mock answers no admin calls). Prints the bootstrap list
 * on one line, then runs until SIGTERM or SIGINT. SIGUSR1 takes every broker down (connections
 * refused, data kept), SIGUSR2 brings them back: a broker outage without losing the log.
 *
 *   mock-kafka <brokers> <partitions> <topic>...
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t stop = 0;
static volatile sig_atomic_t wanted_up = 1;

static void on_stop(int sig) { (void)sig; stop = 1; }
static void on_down(int sig) { (void)sig; wanted_up = 0; }
static void on_up(int sig) { (void)sig; wanted_up = 1; }

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <brokers> <partitions> <topic>...\n", argv[0]);
    return 2;
  }
  int brokers = atoi(argv[1]);
  int partitions = atoi(argv[2]);
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle only hosts the mock cluster's threads; it never connects anywhere. */
  if (rd_kafka_conf_set(conf, "log_level", getenv("MOCK_KAFKA_DEBUG") ? "7" : "3", err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  /* MOCK_KAFKA_DEBUG=mock,cgrp (librdkafka debug contexts) traces the mock on stderr. */
  const char *debug = getenv("MOCK_KAFKA_DEBUG");
  if (debug && rd_kafka_conf_set(conf, "debug", debug, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    return 1;
  }
  for (int i = 3; i < argc; i++) {
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster, argv[i], partitions, brokers < 3 ? brokers : 3);
    if (e) {
      fprintf(stderr, "topic %s: %s\n", argv[i], rd_kafka_err2str(e));
      return 1;
    }
  }
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  signal(SIGUSR1, on_down);
  signal(SIGUSR2, on_up);
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);
  int up = 1;
  while (!stop) {
    if (wanted_up != up) {
      up = wanted_up;
      if (up) rd_kafka_mock_broker_set_up(cluster, -1);
      else rd_kafka_mock_broker_set_down(cluster, -1);
      printf("%s\n", up ? "up" : "down");
      fflush(stdout);
    }
    usleep(20000);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
