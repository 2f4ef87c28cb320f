package dev.arbiter.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README is the front door: its option table, dead-letter reasons and test command must stay true. */
class ReadmeTest {
  static String readme() throws Exception {
    return Files.readString(Path.of("..", "README.md"));
  }

  @Test
  void optionTableMatchesTheConfigClass() throws Exception {
    String readme = readme();
    String start = "<!-- options:start (generated from ArbiterConfig; ReadmeTest checks it) -->\n";
    String end = "<!-- options:end -->";
    assertThat(readme).contains(start).contains(end);
    String table = readme.substring(readme.indexOf(start) + start.length(), readme.indexOf(end));
    assertThat(table).as("README option table; replace it with:%n%s", ArbiterConfig.markdownTable())
        .isEqualTo(ArbiterConfig.markdownTable());
  }

  @Test
  void ciRunsTheReadmeTestCommand() throws Exception {
    assertThat(readme()).contains("mvn -B verify");
    assertThat(Files.readString(Path.of("..", ".ci", "run"))).contains("\nmvn -B verify\n");
  }

  @Test
  void deadLetterTableNamesEveryReason() throws Exception {
    String readme = readme();
    for (dev.arbiter.wire.Rejection rejection : dev.arbiter.wire.Rejection.values()) {
      assertThat(readme).as("README's dead-letter table").contains("| `" + rejection.code() + "` |");
    }
  }
}
