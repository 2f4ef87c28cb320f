package dev.arbiter.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSecurityTest {
  private static final String SECRET = "s3cr\"et\\pa ss";

  @TempDir
  Path dir;

  private ArbiterConfig sasl(String protocol) {
    return ArbiterConfig.defaults()
        .with(ArbiterConfig.SECURITY_PROTOCOL, protocol)
        .with(ArbiterConfig.SASL_USERNAME, "arbiter");
  }

  @Test
  void plaintextAddsNothing() {
    assertThat(KafkaSecurity.clientProperties(ArbiterConfig.defaults().validated())).isEmpty();
  }

  @Test
  void scramPasswordComesFromTheFileWithoutItsNewlineAndSurvivesJaasParsing() throws Exception {
    Path file = Files.writeString(dir.resolve("password"), SECRET + "\n");
    ArbiterConfig config = sasl("SASL_PLAINTEXT").with(ArbiterConfig.SASL_PASSWORD_FILE, file).validated();
    Properties props = KafkaSecurity.clientProperties(config);
    assertThat(props).containsEntry("security.protocol", "SASL_PLAINTEXT").containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    var entries = JaasContext.loadClientContext(Map.of("sasl.jaas.config", new Password(props.getProperty("sasl.jaas.config"))))
        .configurationEntries();
    assertThat(entries).singleElement().satisfies(entry -> {
      assertThat(entry.getLoginModuleName()).isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule");
      assertThat(entry.getOptions().get("username")).isEqualTo("arbiter");
      assertThat(entry.getOptions().get("password")).isEqualTo(SECRET);
    });
    assertThat(config.explicitValues().values()).noneMatch(v -> v.contains("s3cr"));
  }

  @Test
  void scramPasswordFromTheEnvironment() {
    ArbiterConfig config = sasl("SASL_SSL").with(ArbiterConfig.SASL_MECHANISM, "SCRAM-SHA-256")
        .with(ArbiterConfig.SASL_PASSWORD_ENV, "ARBITER_KAFKA_PASSWORD").validated();
    Properties props = KafkaSecurity.clientProperties(config, name -> name.equals("ARBITER_KAFKA_PASSWORD") ? "from-env" : null);
    assertThat(props.getProperty("sasl.jaas.config")).contains("password=\"from-env\"");
    assertThat(props).containsEntry("sasl.mechanism", "SCRAM-SHA-256").containsEntry("security.protocol", "SASL_SSL");
    assertThatThrownBy(() -> KafkaSecurity.clientProperties(config, name -> null))
        .hasMessage("environment variable ARBITER_KAFKA_PASSWORD (option --kafka.sasl.password-env) is not set or empty");
  }

  @Test
  void truststoreAndItsPasswordFile() throws Exception {
    Path password = Files.writeString(dir.resolve("truststore-password"), "changeit\n");
    Path env = Files.writeString(dir.resolve("p"), "x");
    ArbiterConfig config = sasl("SASL_SSL").with(ArbiterConfig.SASL_PASSWORD_FILE, env)
        .with(ArbiterConfig.SSL_TRUSTSTORE_LOCATION, "/etc/kafka/ca.p12")
        .with(ArbiterConfig.SSL_TRUSTSTORE_PASSWORD_FILE, password).validated();
    assertThat(KafkaSecurity.clientProperties(config))
        .containsEntry("ssl.truststore.location", "/etc/kafka/ca.p12")
        .containsEntry("ssl.truststore.type", "PKCS12")
        .containsEntry("ssl.truststore.password", "changeit");
  }

  @Test
  void inconsistentOptionsFailWithOneSentenceNamingTheOption() throws Exception {
    assertThatThrownBy(() -> ArbiterConfig.defaults().with(ArbiterConfig.SECURITY_PROTOCOL, "SASL").validated())
        .hasMessageStartingWith("option --kafka.security.protocol must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
    assertThatThrownBy(() -> ArbiterConfig.defaults().with(ArbiterConfig.SECURITY_PROTOCOL, "SASL_SSL").validated())
        .hasMessage("option --kafka.sasl.username is required with SASL_SSL");
    assertThatThrownBy(() -> sasl("SASL_PLAINTEXT").validated())
        .hasMessage("with SASL_PLAINTEXT give exactly one of --kafka.sasl.password-file and --kafka.sasl.password-env");
    assertThatThrownBy(() -> sasl("SASL_PLAINTEXT").with(ArbiterConfig.SASL_PASSWORD_FILE, "a").with(ArbiterConfig.SASL_PASSWORD_ENV, "B").validated())
        .hasMessageContaining("exactly one of");
    assertThatThrownBy(() -> sasl("SASL_PLAINTEXT").with(ArbiterConfig.SASL_MECHANISM, "PLAIN").with(ArbiterConfig.SASL_PASSWORD_ENV, "B").validated())
        .hasMessageStartingWith("option --kafka.sasl.mechanism must be one of SCRAM-SHA-512, SCRAM-SHA-256");
    assertThatThrownBy(() -> new ArbiterConfig(Map.of("kafka.sasl.password", SECRET)))
        .hasMessageContaining("kafka.sasl.password-file").message().doesNotContain("s3cr");
  }

  @Test
  void unreadableOrMultiLinePasswordFileIsNamedButNotShown() throws Exception {
    ArbiterConfig missing = sasl("SASL_PLAINTEXT").with(ArbiterConfig.SASL_PASSWORD_FILE, dir.resolve("nope")).validated();
    assertThatThrownBy(() -> KafkaSecurity.clientProperties(missing))
        .hasMessage("cannot read " + dir.resolve("nope") + " (option --kafka.sasl.password-file): no such file");
    Path twoLines = Files.writeString(dir.resolve("two"), SECRET + "\nsecond\n");
    ArbiterConfig config = sasl("SASL_PLAINTEXT").with(ArbiterConfig.SASL_PASSWORD_FILE, twoLines).validated();
    assertThatThrownBy(() -> KafkaSecurity.clientProperties(config))
        .hasMessageContaining("must hold the secret on one line").message().doesNotContain("s3cr").doesNotContain("second");
  }
}
