package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The decision logic stays plain Java: no class of dev.arbiter.core refers to a Flink type. */
class CoreHasNoFlinkTypesTest {
  @Test
  void coreClassesReferenceNoFlinkType() throws IOException, URISyntaxException {
    Path core = Path.of(Streak.class.getProtectionDomain().getCodeSource().getLocation().toURI()).resolve("dev/arbiter/core");
    List<Path> classes;
    try (Stream<Path> files = Files.list(core)) {
      classes = files.filter(p -> p.toString().endsWith(".class")).toList();
    }
    assertThat(classes).hasSizeGreaterThan(10);
    for (Path file : classes) {
      // Class files name every referenced type in their constant pool as UTF-8 "org/apache/flink/...".
      String constants = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
      assertThat(constants).as(file.getFileName().toString()).doesNotContain("org/apache/flink");
    }
  }
}
