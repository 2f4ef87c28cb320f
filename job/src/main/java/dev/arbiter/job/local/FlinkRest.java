package dev.arbiter.job.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

/** The parts of Flink's REST API that a cluster launcher and the fault tests need, over the JDK's HttpClient. */
public final class FlinkRest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public FlinkRest(URI base) {
    this.base = base;
  }

  public URI base() {
    return base;
  }

  /** Completed, failed and restored checkpoint counts and the latest completed checkpoint's size. */
  public record Checkpoints(long completed, long failed, long restored, long latestId, long latestStateSize,
      long latestCheckpointedSize) {}

  /** True when the REST endpoint answers. */
  public boolean reachable() {
    try {
      get("/overview");
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Uploads a job jar (POST /jars/upload) and returns its id on the cluster. */
  public String uploadJar(Path jar) {
    String boundary = "arbiter-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try {
      body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName()
          + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      body.write(Files.readAllBytes(jar));
      body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JsonNode answer = send(HttpRequest.newBuilder(base.resolve("/jars/upload")).timeout(Duration.ofMinutes(2))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
    String file = answer.path("filename").asText();
    if (file.isEmpty()) {
      throw new IllegalStateException("jar upload gave no file name: " + answer);
    }
    return Path.of(file).getFileName().toString();
  }

  /** Runs an uploaded jar (POST /jars/:id/run) and returns the job id. */
  public String runJar(String jarId, String entryClass, int parallelism, List<String> programArgs) {
    ObjectNode request = JSON.createObjectNode();
    request.put("entryClass", entryClass);
    request.put("parallelism", parallelism);
    programArgs.forEach(request.putArray("programArgsList")::add);
    JsonNode answer = send(HttpRequest.newBuilder(base.resolve("/jars/" + jarId + "/run")).timeout(Duration.ofMinutes(2))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(request.toString())));
    String jobId = answer.path("jobid").asText();
    if (jobId.isEmpty()) {
      throw new IllegalStateException("job submission gave no job id: " + answer);
    }
    return jobId;
  }

  /** The job's state: CREATED, RUNNING, RESTARTING, FAILED, CANCELED, FINISHED, ... */
  public String jobState(String jobId) {
    return get("/jobs/" + jobId).path("state").asText();
  }

  /** True when the job is RUNNING and every task of every vertex is RUNNING (a restarted job is not, until it has its slots). */
  public boolean allTasksRunning(String jobId) {
    JsonNode job = get("/jobs/" + jobId);
    if (!job.path("state").asText().equals("RUNNING")) {
      return false;
    }
    for (JsonNode vertex : job.path("vertices")) {
      if (!vertex.path("status").asText().equals("RUNNING")) {
        return false;
      }
    }
    return job.path("vertices").size() > 0;
  }

  public Checkpoints checkpoints(String jobId) {
    JsonNode stats = get("/jobs/" + jobId + "/checkpoints");
    JsonNode counts = stats.path("counts");
    JsonNode latest = stats.path("latest").path("completed");
    return new Checkpoints(counts.path("completed").asLong(), counts.path("failed").asLong(), counts.path("restored").asLong(),
        latest.path("id").asLong(-1), latest.path("state_size").asLong(-1), latest.path("checkpointed_size").asLong(-1));
  }

  /** Resource ids of the TaskManagers that run tasks of the job. */
  public Set<String> taskManagersOf(String jobId) {
    Set<String> ids = new TreeSet<>();
    for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
      for (JsonNode taskManager : get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/taskmanagers").path("taskmanagers")) {
        if (taskManager.path("status").asText().equals("RUNNING")) {
          ids.add(taskManager.path("taskmanager-id").asText());
        }
      }
    }
    return ids;
  }

  /** Number of TaskManagers registered at the resource manager. */
  public int taskManagers() {
    return get("/taskmanagers").path("taskmanagers").size();
  }

  /** Cancels a job (PATCH /jobs/:id). */
  public void cancel(String jobId) {
    send(HttpRequest.newBuilder(base.resolve("/jobs/" + jobId + "?mode=cancel")).timeout(TIMEOUT)
        .method("PATCH", HttpRequest.BodyPublishers.noBody()));
  }

  public JsonNode get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).GET());
  }

  private JsonNode send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException("Flink REST " + response.request().method() + " " + response.uri().getPath()
            + " answered " + response.statusCode() + ": " + response.body());
      }
      return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("Flink REST at " + base + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
