package dev.arbiter.job.simulate;

import dev.arbiter.avro.CacheState;

/**
 * A change injected into simulated traffic, active for windows [fromWindow, toWindow). Variants
 * and filters name what the effect touches; null means every variant, device or cache state.
 */
public sealed interface Effect {
  int fromWindow();

  int toWindow();

  default boolean activeIn(int window) {
    return window >= fromWindow() && window < toWindow();
  }

  /** Latency multiplied by {@code factor}, e.g. only on cold replicas. */
  record LatencySpike(String variant, int fromWindow, int toWindow, double factor, CacheState onlyCache) implements Effect {}

  /** The unsafe-answer rate becomes {@code unsafeRate}, e.g. only on mobile. */
  record SafetyRegression(String variant, int fromWindow, int toWindow, double unsafeRate, String onlyDevice) implements Effect {}

  /** Cost per turn multiplied by {@code factor}; a null variant is a price change for everyone. */
  record CostChange(String variant, int fromWindow, int toWindow, double factor) implements Effect {}

  /** Judge scores (on every axis) shifted by {@code delta}. */
  record JudgeDrop(String variant, int fromWindow, int toWindow, double delta) implements Effect {}

  /** The treatment's resolution rate shifted by {@code delta} (e.g. +0.05 for five points). */
  record ResolutionShift(String variant, int fromWindow, int toWindow, double delta) implements Effect {}

  /** A router that sends {@code fraction} of the units assigned to control to the treatment instead. */
  record RoutingBug(String treatment, int fromWindow, int toWindow, double fraction) implements Effect {}

  /** {@code fraction} of conversations have their later turns served by another variant. */
  record Leak(int fromWindow, int toWindow, double fraction) implements Effect {}
}
