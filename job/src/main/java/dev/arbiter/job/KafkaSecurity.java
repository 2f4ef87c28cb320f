package dev.arbiter.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * The Kafka client properties of {@link ArbiterConfig}'s {@code kafka.*} options: security
 * protocol, SCRAM credentials and truststore, for every client of the job and the CLI.
 *
 * <p>Secrets are never option values: the options name a file or an environment variable, and the
 * secret is read only here, when the clients' properties are built. So it is in no
 * {@link ArbiterConfig}, Flink configuration or global job parameter (which the Flink UI shows),
 * and the Kafka clients log it as {@code [hidden]}. It does travel inside the serialized job graph,
 * like any Flink connector's properties.
 */
public final class KafkaSecurity {
  public static final String PLAINTEXT = "PLAINTEXT";
  public static final String SSL = "SSL";
  public static final String SASL_PLAINTEXT = "SASL_PLAINTEXT";
  public static final String SASL_SSL = "SASL_SSL";
  private static final String[] PROTOCOLS = {PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL};
  private static final String[] MECHANISMS = {"SCRAM-SHA-512", "SCRAM-SHA-256"};
  private static final String SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";

  private KafkaSecurity() {}

  /** Fails with one sentence naming the option when the security options do not fit together; reads no secret. */
  static void check(ArbiterConfig config) {
    String protocol = config.choice(ArbiterConfig.SECURITY_PROTOCOL, PROTOCOLS);
    if (sasl(protocol)) {
      config.choice(ArbiterConfig.SASL_MECHANISM, MECHANISMS);
      if (config.get(ArbiterConfig.SASL_USERNAME).isBlank()) {
        throw new IllegalArgumentException("option --" + ArbiterConfig.SASL_USERNAME.key() + " is required with " + protocol);
      }
      boolean file = !config.get(ArbiterConfig.SASL_PASSWORD_FILE).isBlank();
      boolean env = !config.get(ArbiterConfig.SASL_PASSWORD_ENV).isBlank();
      if (file == env) {
        throw new IllegalArgumentException("with " + protocol + " give exactly one of --" + ArbiterConfig.SASL_PASSWORD_FILE.key()
            + " and --" + ArbiterConfig.SASL_PASSWORD_ENV.key());
      }
    }
    if (!config.get(ArbiterConfig.SSL_TRUSTSTORE_PASSWORD_FILE).isBlank() && config.get(ArbiterConfig.SSL_TRUSTSTORE_LOCATION).isBlank()) {
      throw new IllegalArgumentException("option --" + ArbiterConfig.SSL_TRUSTSTORE_PASSWORD_FILE.key() + " needs --"
          + ArbiterConfig.SSL_TRUSTSTORE_LOCATION.key());
    }
  }

  /** The client properties of the configured security, reading secrets from their files or the environment now. */
  public static Properties clientProperties(ArbiterConfig config) {
    return clientProperties(config, System::getenv);
  }

  static Properties clientProperties(ArbiterConfig config, UnaryOperator<String> environment) {
    check(config);
    Properties props = new Properties();
    String protocol = config.get(ArbiterConfig.SECURITY_PROTOCOL);
    if (protocol.equals(PLAINTEXT)) {
      return props;
    }
    props.put("security.protocol", protocol);
    if (sasl(protocol)) {
      props.put("sasl.mechanism", config.get(ArbiterConfig.SASL_MECHANISM));
      props.put("sasl.jaas.config", SCRAM_LOGIN_MODULE + " required username=\"" + jaasQuoted(config.get(ArbiterConfig.SASL_USERNAME))
          + "\" password=\"" + jaasQuoted(password(config, environment)) + "\";");
    }
    if (protocol.equals(SSL) || protocol.equals(SASL_SSL)) {
      String truststore = config.get(ArbiterConfig.SSL_TRUSTSTORE_LOCATION);
      if (!truststore.isBlank()) {
        props.put("ssl.truststore.location", truststore);
        String lower = truststore.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".pem") || lower.endsWith(".crt")) {
          props.put("ssl.truststore.type", "PEM");
        } else if (lower.endsWith(".p12") || lower.endsWith(".pfx")) {
          props.put("ssl.truststore.type", "PKCS12");
        }
        String passwordFile = config.get(ArbiterConfig.SSL_TRUSTSTORE_PASSWORD_FILE);
        if (!passwordFile.isBlank()) {
          props.put("ssl.truststore.password", secretFromFile(ArbiterConfig.SSL_TRUSTSTORE_PASSWORD_FILE, passwordFile));
        }
      }
    }
    return props;
  }

  private static boolean sasl(String protocol) {
    return protocol.equals(SASL_PLAINTEXT) || protocol.equals(SASL_SSL);
  }

  private static String password(ArbiterConfig config, UnaryOperator<String> environment) {
    String file = config.get(ArbiterConfig.SASL_PASSWORD_FILE);
    if (!file.isBlank()) {
      return secretFromFile(ArbiterConfig.SASL_PASSWORD_FILE, file);
    }
    String variable = config.get(ArbiterConfig.SASL_PASSWORD_ENV).strip();
    String value = environment.apply(variable);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("environment variable " + variable + " (option --" + ArbiterConfig.SASL_PASSWORD_ENV.key()
          + ") is not set or empty");
    }
    return value;
  }

  /** The file's content without its line ending; messages name the file, never its content. */
  private static String secretFromFile(ArbiterConfig.Setting option, String file) {
    String content;
    try {
      content = Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException | java.io.UncheckedIOException e) {
      String why = e instanceof java.nio.file.NoSuchFileException ? "no such file"
          : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
          : e instanceof java.nio.charset.CharacterCodingException ? "not UTF-8 text" : "not readable";
      throw new IllegalArgumentException("cannot read " + file + " (option --" + option.key() + "): " + why);
    }
    String secret = content.endsWith("\r\n") ? content.substring(0, content.length() - 2)
        : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
    if (secret.isEmpty() || secret.contains("\n")) {
      throw new IllegalArgumentException(file + " (option --" + option.key() + ") must hold the secret on one line");
    }
    return secret;
  }

  /** Kafka parses JAAS values as Java-tokenizer quoted strings: backslash and double quote need escaping. */
  static String jaasQuoted(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
