package io.gtespark.job.embed;

import io.gtespark.job.cli.UsageException;
import io.gtespark.job.io.OutputIdentity;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * How a long {@code embed} into a Delta table is cut into slices that commit one by one: the
 * run's id (Delta's {@code txnAppId}), the number of slices, and the fingerprint of the input it
 * was planned on. An input read from files is cut by file: each slice is a list of whole files
 * of about {@code --commit-rows} rows, read by a filter on the scan's file path that Spark applies
 * to the listing, so every slice reads only its own files and the run reads its input once.
 * A Delta table whose data files hold its rows (no reader features, no partition columns) is read
 * from its files at the pinned version and cut the same way. Other inputs (a Delta table with
 * deletion vectors, column mapping or partitions, whose own scan ignores such a filter; a catalog
 * view) are cut by a hash of the id or of the whole row, so each slice scans the input. Either way the same input gives
 * the same slices on every run; each slice commits with {@code txnVersion} = its number, and a
 * rerun starts after the last number the table recorded for the run id.
 *
 * <p>The plan is saved beside the table ({@code _gte_runs/<runId>.json}, and the slices' files in
 * {@code <runId>.files}) before the first slice, so a rerun on an input that changed since is told
 * apart from a resume, and a resume reads only the files of the slices left.
 */
public final class SlicePlan {
  /** Folder of the table that holds one plan file per run id (Delta and VACUUM skip names starting with _). */
  public static final String DIR = "_gte_runs";
  /** The scan's hidden column naming each row's file (Spark's file source metadata). */
  private static final String FILE_PATH = "_metadata.file_path";
  private final String runId;
  private final int slices;
  private final long rowsIn;
  private final String fingerprint;
  private final Long inputVersion;
  /** The files of each slice, or null when slices are cut by a hash. */
  private final List<FileSlice> files;

  private SlicePlan(String runId, int slices, long rowsIn, String fingerprint, Long inputVersion,
      List<FileSlice> files) {
    this.runId = runId;
    this.slices = slices;
    this.rowsIn = rowsIn;
    this.fingerprint = fingerprint;
    this.inputVersion = inputVersion;
    this.files = files;
  }

  /** A new plan cut by a hash: {@code ceil(rowsIn / commitRows)} slices. */
  public static SlicePlan of(String runId, long rowsIn, long commitRows, String fingerprint, Long inputVersion) {
    int slices = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (rowsIn + commitRows - 1) / commitRows));
    return new SlicePlan(runId, slices, rowsIn, fingerprint, inputVersion, null);
  }

  /**
   * A new plan cut by file: {@code rowsPerFile} (every input file with its rows, in a stable order)
   * packed in order into slices of at least {@code commitRows} rows (the last may have fewer). A
   * file with more rows than that is cut into {@code ceil(rows / commitRows)} slices by a hash of
   * the key columns, each reading only that file: only such files are read more than once.
   * {@code inputVersion}: the Delta version whose files these are (a resume reads that version), else null.
   */
  public static SlicePlan ofFiles(String runId, Map<String, Long> rowsPerFile, long commitRows, String fingerprint,
      Long inputVersion) {
    List<FileSlice> slices = new ArrayList<>();
    List<String> pack = new ArrayList<>();
    long rows = 0;
    long total = 0;
    for (Map.Entry<String, Long> f : rowsPerFile.entrySet()) {
      total += f.getValue();
      if (f.getValue() > commitRows) {
        int parts = (int) Math.min(Integer.MAX_VALUE, (f.getValue() + commitRows - 1) / commitRows);
        for (int part = 0; part < parts; part++) {
          slices.add(new FileSlice(List.of(f.getKey()), part, parts));
        }
        continue;
      }
      pack.add(f.getKey());
      rows += f.getValue();
      if (rows >= commitRows) {
        slices.add(new FileSlice(pack, 0, 1));
        pack = new ArrayList<>();
        rows = 0;
      }
    }
    if (!pack.isEmpty() || slices.isEmpty()) {
      slices.add(new FileSlice(pack, 0, 1));
    }
    return new SlicePlan(runId, slices.size(), total, fingerprint, inputVersion, slices);
  }

  /** A slice cut by file: its files, and which hash part of them ({@code part} of {@code parts}; 1: all rows). */
  private static final class FileSlice {
    final List<String> files;
    final int part;
    final int parts;

    FileSlice(List<String> files, int part, int parts) {
      this.files = files;
      this.part = part;
      this.parts = parts;
    }
  }

  /**
   * True when {@code input} can be cut by file: its scan names each row's file
   * ({@code _metadata.file_path}) and applies a filter on it to the file listing. A Delta scan
   * names the file but reads every file regardless, so it is cut by hash.
   */
  public static boolean canCutByFile(Dataset<Row> input, boolean delta) {
    if (delta) {
      return false;
    }
    try {
      input.select(functions.col(FILE_PATH)).schema();
      return true;
    } catch (Exception e) { // Spark's AnalysisException (checked, thrown from Scala): no file source behind it
      return false;
    }
  }

  /** Rows per input file, sorted by path: one aggregate that reads no column for Parquet and ORC. */
  public static Map<String, Long> rowsPerFile(Dataset<Row> input) {
    Map<String, Long> out = new TreeMap<>();
    for (Row r : input.groupBy(functions.col(FILE_PATH).as("f")).count().collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  /** True when this plan cuts by file. */
  public boolean byFile() {
    return files != null;
  }

  /**
   * A run id from what makes two commands the same run: the input, the rows chosen, the output,
   * the model identity and the settings that change the vectors or the slicing. {@code parts}
   * are hashed in order; {@code kind} prefixes the id ("embed", "stream").
   */
  public static String runId(String kind, List<String> parts) {
    return "gte-" + kind + "-" + InputFingerprint.sha256Hex(parts).substring(0, 20);
  }

  /**
   * The rows of {@code input} in slice {@code slice}: those of its files, or those whose hash of
   * {@code keyCols} modulo the slice count is {@code slice}.
   */
  public Dataset<Row> slice(Dataset<Row> input, List<String> keyCols, int slice) {
    if (files == null) {
      return part(input, keyCols, slice, slices);
    }
    FileSlice f = files.get(slice);
    Dataset<Row> rows = input.filter(functions.col(FILE_PATH).isin(f.files.toArray()));
    return f.parts == 1 ? rows : part(rows, keyCols, f.part, f.parts);
  }

  private static Dataset<Row> part(Dataset<Row> input, List<String> keyCols, int part, int parts) {
    Column[] keys = keyCols.stream().map(input::col).toArray(Column[]::new);
    return input.filter(functions.pmod(functions.xxhash64(keys), functions.lit((long) parts))
        .equalTo(functions.lit((long) part)));
  }

  private static Path file(String output, String runId) {
    return new Path(new Path(output, DIR), runId + ".json");
  }

  private static Path filesFile(String output, String runId) {
    return new Path(new Path(output, DIR), runId + ".files");
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
    int slices = Integer.parseInt(m.get("slices"));
    List<FileSlice> files = "files".equals(m.get("cutBy")) ? readFiles(filesFile(output, runId), slices, conf)
        : null;
    return new SlicePlan(runId, slices, Long.parseLong(m.get("rowsIn")), m.get("inputFingerprint"),
        version == null || version.equals("null") ? null : Long.valueOf(version), files);
  }

  /** The slices' files: one line per file: its slice, its hash part and parts, its path, separated by tabs. */
  private static List<FileSlice> readFiles(Path path, int slices, Configuration conf) {
    List<List<String>> files = new ArrayList<>();
    int[][] parts = new int[slices][];
    for (int i = 0; i < slices; i++) {
      files.add(new ArrayList<>());
    }
    try (BufferedReader r = new BufferedReader(new InputStreamReader(path.getFileSystem(conf).open(path),
        StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        String[] f = line.split("\t", 4);
        int slice = Integer.parseInt(f[0]);
        files.get(slice).add(f[3]);
        parts[slice] = new int[] {Integer.parseInt(f[1]), Integer.parseInt(f[2])};
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("Cannot read the file list of sliced run plan " + path + " (" + e.getMessage()
          + "); the plan is damaged. Start a new run with --run-id NAME.", e);
    }
    List<FileSlice> out = new ArrayList<>(slices);
    for (int i = 0; i < slices; i++) {
      out.add(new FileSlice(files.get(i), parts[i] == null ? 0 : parts[i][0], parts[i] == null ? 1 : parts[i][1]));
    }
    return out;
  }

  /** Saves the plan beside the table, before the first slice commits. */
  public void save(String output, Configuration conf) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("runId", runId);
    m.put("slices", slices);
    m.put("rowsIn", rowsIn);
    m.put("inputFingerprint", fingerprint);
    m.put("inputVersion", inputVersion);
    m.put("cutBy", files != null ? "files" : "hash");
    if (files != null) {
      // Written before the plan that names it: a plan file is only ever read with its file list beside it.
      Path path = filesFile(output, runId);
      try (Writer w = new OutputStreamWriter(path.getFileSystem(conf).create(path, true), StandardCharsets.UTF_8)) {
        for (int s = 0; s < files.size(); s++) {
          FileSlice slice = files.get(s);
          for (String f : slice.files) {
            w.write(s + "\t" + slice.part + "\t" + slice.parts + "\t" + f + "\n");
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException("Cannot write the sliced run's file list " + path + ": " + e.getMessage(), e);
      }
    }
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
