package dev.arbiter.core;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic command ids: a name-based UUID of everything that identifies a decision. The same
 * input always yields the same id, so a replay, a restart or an at-least-once retry produces ids a
 * control plane has already seen and can ignore.
 */
public final class CommandId {
  private CommandId() {}

  public static String of(Object... parts) {
    StringBuilder name = new StringBuilder("arbiter");
    for (Object part : parts) {
      name.append('\u001f').append(part);
    }
    return UUID.nameUUIDFromBytes(name.toString().getBytes(StandardCharsets.UTF_8)).toString();
  }
}
