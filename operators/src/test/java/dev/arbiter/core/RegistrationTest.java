package dev.arbiter.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.avro.LookSpec;
import dev.arbiter.avro.PrimaryMetricDesign;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class RegistrationTest {

  static ExperimentDefinition withLooks(String spending, LookSpec... looks) {
    return DefinitionValidatorTest.definition(b -> b.setPrimary(PrimaryMetricDesign.newBuilder().setMetric("resolution_rate")
        .setPlannedUnitsPerArm(1471).setSpending(spending).setLooks(List.of(looks)).build()));
  }

  @Test
  void missingBoundariesAreComputedAndRecorded() {
    Registration.Result result = Registration.register(withLooks("obrien_fleming",
        new LookSpec(0.25, null, null), new LookSpec(0.5, null, null), new LookSpec(0.75, null, null), new LookSpec(1.0, null, null)));
    assertThat(result.ok()).isTrue();
    // The reference values: Lan-DeMets O'Brien-Fleming, K = 4, two-sided alpha 0.05.
    assertThat(result.accepted().getPrimary().getLooks()).extracting(LookSpec::getCriticalZ)
        .satisfiesExactly(
            z -> assertThat(z).isCloseTo(4.3326, Offset.offset(1e-4)),
            z -> assertThat(z).isCloseTo(2.9631, Offset.offset(1e-4)),
            z -> assertThat(z).isCloseTo(2.3590, Offset.offset(1e-4)),
            z -> assertThat(z).isCloseTo(2.0141, Offset.offset(1e-4)));
  }

  @Test
  void registeredBoundariesThatMatchTheSpendingFunctionAreKept() {
    Registration.Result result = Registration.register(withLooks("obrien_fleming",
        new LookSpec(0.5, 2.80, null), new LookSpec(1.0, null, null)));
    // Lan-DeMets O'Brien-Fleming at two equally spaced looks: 2.963, 1.969 (DeMets and Lan 1994).
    assertThat(result.problems()).hasSize(1).first().asString()
        .contains("looks[0].critical_z 2.8000 does not match").contains("expected 2.9626");
    Registration.Result close = Registration.register(withLooks("obrien_fleming",
        new LookSpec(0.5, 2.9630, null), new LookSpec(1.0, 1.9690, null)));
    assertThat(close.ok()).as(String.valueOf(close.problems())).isTrue();
    assertThat(close.accepted().getPrimary().getLooks()).extracting(LookSpec::getCriticalZ).containsExactly(2.9630, 1.9690);
  }

  @Test
  void unknownSpendingFunctionIsRejectedWithTheAllowedNames() {
    Registration.Result result = Registration.register(withLooks("haybittle", new LookSpec(1.0, null, null)));
    assertThat(result.ok()).isFalse();
    assertThat(result.problems().get(0)).startsWith("primary: ").contains("haybittle");
  }
}
