package dev.arbiter.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.avro.ExperimentDefinition;
import dev.arbiter.core.Registration;
import dev.arbiter.wire.JsonForm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads experiment definitions from a JSON or YAML file (one object or a list) or a directory of
 * such files, and checks them, so a user learns what to fix before anything runs.
 */
public final class DefinitionFiles {
  private DefinitionFiles() {}

  /** @throws IllegalArgumentException with one line naming the file, the field and the problem */
  public static List<ExperimentDefinition> load(Path fileOrDirectory) {
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(fileOrDirectory)) {
      try (Stream<Path> listing = Files.list(fileOrDirectory)) {
        listing.filter(p -> p.toString().matches(".*\\.(json|ya?ml)$")).sorted().forEach(files::add);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot list " + fileOrDirectory + ": " + e.getMessage());
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException(fileOrDirectory + " holds no .json, .yaml or .yml definition files");
      }
    } else if (Files.isRegularFile(fileOrDirectory)) {
      files.add(fileOrDirectory);
    } else {
      throw new IllegalArgumentException("definitions path " + fileOrDirectory + " does not exist");
    }
    List<ExperimentDefinition> definitions = new ArrayList<>();
    for (Path file : files) {
      JsonNode root;
      try {
        // YAML is a superset of JSON, so one parser reads both.
        root = JsonForm.YAML.readTree(file.toFile());
      } catch (IOException e) {
        throw new IllegalArgumentException(file + ": not valid JSON or YAML: " + firstLine(e.getMessage()));
      }
      List<JsonNode> objects = new ArrayList<>();
      if (root != null && root.isArray()) {
        root.forEach(objects::add);
      } else {
        objects.add(root);
      }
      for (int i = 0; i < objects.size(); i++) {
        String where = file + (objects.size() > 1 ? " [" + i + "]" : "");
        ExperimentDefinition definition;
        try {
          definition = JsonForm.fromJson(objects.get(i), ExperimentDefinition.getClassSchema(), Set.of(), true);
        } catch (JsonForm.JsonFormException e) {
          throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        Registration.Result registration = Registration.register(definition);
        if (!registration.ok()) {
          throw new IllegalArgumentException(where + ": " + String.join("; ", registration.problems()));
        }
        definitions.add(registration.accepted());
      }
    }
    return definitions;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
