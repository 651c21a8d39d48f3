package io.gtespark.job.embed;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.OutputIdentity;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * How a long {@code embed} into a Delta table is cut into slices that commit one by one: the
 * run's id (Delta's {@code txnAppId}), the number of slices, and the fingerprint of the input it
 * was planned on. A row's slice is a hash of its id (or of the whole row), so the same input
 * gives the same slices on every run; each slice commits with {@code txnVersion} = its number,
 * and a rerun starts after the last number the table recorded for the run id.
 *
 * <p>The plan is saved beside the table ({@code _gte_runs/<runId>.json}) before the first slice, so a
 * rerun on an input that changed since is told apart from a resume.
 */
public final class SlicePlan {
  /** Folder of the table that holds one plan file per run id (Delta and VACUUM skip names starting with _). */
  public static final String DIR = "_gte_runs";
  private final String runId;
  private final int slices;
  private final long rowsIn;
  private final String fingerprint;
  private final Long inputVersion;

  private SlicePlan(String runId, int slices, long rowsIn, String fingerprint, Long inputVersion) {
    this.runId = runId;
    this.slices = slices;
    this.rowsIn = rowsIn;
    this.fingerprint = fingerprint;
    this.inputVersion = inputVersion;
  }

  /** A new plan: {@code ceil(rowsIn / commitRows)} slices. */
  public static SlicePlan of(String runId, long rowsIn, long commitRows, String fingerprint, Long inputVersion) {
    int slices = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (rowsIn + commitRows - 1) / commitRows));
    return new SlicePlan(runId, slices, rowsIn, fingerprint, inputVersion);
  }

  /**
   * A run id from what makes two commands the same run: the input, the rows chosen, the output,
   * the model identity and the settings that change the vectors or the slicing. {@code parts}
   * are hashed in order; {@code kind} prefixes the id ("embed", "stream").
   */
  public static String runId(String kind, List<String> parts) {
    return "gte-" + kind + "-" + InputFingerprint.sha256Hex(parts).substring(0, 20);
  }

  /** The rows of {@code input} in slice {@code slice}: a hash of {@code keyCols} modulo the slice count. */
  public Dataset<Row> slice(Dataset<Row> input, List<String> keyCols, int slice) {
    Column[] keys = keyCols.stream().map(input::col).toArray(Column[]::new);
    return input.filter(functions.pmod(functions.xxhash64(keys), functions.lit((long) slices))
        .equalTo(functions.lit((long) slice)));
  }

  private static Path file(String output, String runId) {
    return new Path(new Path(output, DIR), runId + ".json");
  }

  /** The plan saved for {@code runId} at {@code output}, or null. */
  public static SlicePlan load(String output, String runId, Configuration conf) {
    if (output == null) {
      return null;
    }
    Map<String, String> m = OutputIdentity.readJson(file(output, runId), conf);
    if (m == null) {
      return null;
    }
    String version = m.get("inputVersion");
    return new SlicePlan(runId, Integer.parseInt(m.get("slices")), Long.parseLong(m.get("rowsIn")),
        m.get("inputFingerprint"), version == null || version.equals("null") ? null : Long.valueOf(version));
  }

  /** Saves the plan beside the table, before the first slice commits. */
  public void save(String output, Configuration conf) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("runId", runId);
    m.put("slices", slices);
    m.put("rowsIn", rowsIn);
    m.put("inputFingerprint", fingerprint);
    m.put("inputVersion", inputVersion);
    OutputIdentity.writeJson(file(output, runId), m, conf);
  }

  /**
   * Refuses to resume this plan on an input whose fingerprint is {@code now}: the committed slices
   * were cut from other rows, so the rest would neither complete nor repeat them.
   */
  public void requireSameInput(String now, String input) {
    if (!fingerprint.equals(now)) {
      throw new UsageException("Input " + input + " changed since run " + runId + " was planned on it "
          + "(its files or rows differ from the ones planned on), so the rest of that run cannot be resumed without "
          + "missing or repeating rows. Start a new run on the new input with --run-id NAME, or use --mode merge, "
          + "which embeds only what the table does not hold yet.");
    }
  }

  public String runId() {
    return runId;
  }

  public int slices() {
    return slices;
  }

  public long rowsIn() {
    return rowsIn;
  }

  public String fingerprint() {
    return fingerprint;
  }

  /** The Delta input version the plan was made on (a rerun reads the same version), or null. */
  public Long inputVersion() {
    return inputVersion;
  }
}
