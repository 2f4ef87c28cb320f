package dev.arbiter.job.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {

  @Test
  void kernelThreadNamesKeepFifteenCharactersAndStillFindTheirGroup() {
    assertThat(ThreadCpu.group("units: leaks, d")).isEqualTo("unit tracker -> combine");
    assertThat(ThreadCpu.group("windows per exp")).isEqualTo("window aggregator -> metrics sink");
    assertThat(ThreadCpu.group("C2 CompilerThre")).isEqualTo("JIT compilers");
    assertThat(ThreadCpu.group("count per unit ")).isEqualTo("per-unit count -> sink (C1-keyed)");
    assertThat(ThreadCpu.group("data-plane-kafk")).isEqualTo("broker");
    assertThat(ThreadCpu.group("kafka-producer-")).as("the clients' I/O is not the broker").isEqualTo("Kafka producer I/O");
    assertThat(ThreadCpu.group("something else")).isEqualTo("other");
  }

  @Test
  void aBusyThreadsCpuIsCountedInItsGroup() throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux's /proc");
    ThreadCpu sampler = ThreadCpu.startIfAvailable();
    CountDownLatch done = new CountDownLatch(1);
    CountDownLatch measured = new CountDownLatch(1);
    Thread busy = new Thread(() -> {
      var threads = ManagementFactory.getThreadMXBean();
      long spins = 0;
      while (threads.getCurrentThreadCpuTime() < 400_000_000L) {
        spins++;
      }
      done.countDown();
      try {
        // Stays alive until the sampler has read it for the last time.
        measured.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      assertThat(spins).isPositive();
    }, "units: leaks, duplicates, outcome and judge joins (1/2)#0");
    busy.start();
    done.await();
    Map<String, Double> seconds = sampler.stop();
    measured.countDown();
    busy.join();
    assertThat(seconds.get("unit tracker -> combine")).as("CPU seconds of the busy thread's group").isBetween(0.3, 1.0);
  }
}
