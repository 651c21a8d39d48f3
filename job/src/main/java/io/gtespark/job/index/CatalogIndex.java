package io.gtespark.job.index;

import io.gtespark.job.cli.UsageException;
import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * An index named in the session catalog ({@code index --output-table db.docs_index}): a view of its
 * current build's vectors table (id, cell, cell_group, vector, carried columns), so that
 * {@code SELECT * FROM db.docs_index} reads the indexed rows, whose property
 * {@value #ROOT_PROPERTY} names the index folder. A rebuild replaces the view in one catalog call;
 * {@code similarity --index}, {@code dedup --against}, {@code index --update} and
 * {@code gte_search} accept the name wherever they take a folder.
 */
public final class CatalogIndex {
  /** The view property that holds the index folder. */
  public static final String ROOT_PROPERTY = "gte.index.root";
  /** A table name: one to three dot-separated identifiers, each plain or back-quoted. */
  private static final Pattern NAME = Pattern.compile("(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)"
      + "(?:\\.(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)){0,2}");

  private CatalogIndex() {}

  /** Whether {@code text} reads as a catalog name rather than a path. */
  static boolean isName(String text) {
    return text != null && NAME.matcher(text).matches();
  }

  /**
   * The folder of the index that {@code nameOrPath} names: a folder holding an index as given, a
   * catalog name registered by {@code index --output-table} its recorded folder, anything else as
   * given (opening it then says it is not an index).
   */
  public static String resolve(SparkSession spark, String nameOrPath) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    if (!isName(nameOrPath) || IndexManifest.read(nameOrPath, conf) != null) {
      return nameOrPath;
    }
    String root = registeredRoot(spark, nameOrPath);
    return root != null ? root : nameOrPath;
  }

  /**
   * The index folder recorded for catalog name {@code name}; null when the catalog has no such
   * table or view. A table or view that is not an index is refused, naming it.
   */
  static String registeredRoot(SparkSession spark, String name) {
    if (!spark.catalog().tableExists(name)) {
      return null;
    }
    List<Row> props = spark.sql("SHOW TBLPROPERTIES " + name).collectAsList();
    for (Row r : props) {
      if (ROOT_PROPERTY.equals(r.getString(0))) {
        return r.getString(1);
      }
    }
    throw new UsageException(name + " is a table of the catalog but not an index (it has no " + ROOT_PROPERTY
        + " property). Name an index folder, or a name that index --output-table registered.");
  }

  /**
   * The folder for an index registered as {@code name}: the one it records when registered, else a
   * folder named after it in its database's location (where the catalog would put a table).
   */
  static String folderFor(SparkSession spark, String name) {
    if (!isName(name)) {
      throw new UsageException("--output-table " + name + " is not a table name (db.name or name); give a path "
          + "with --output instead.");
    }
    String root = registeredRoot(spark, name);
    if (root != null) {
      return root;
    }
    String[] parts = name.replace("`", "").split("\\.");
    String table = parts[parts.length - 1];
    String db = parts.length >= 2 ? parts[parts.length - 2] : spark.catalog().currentDatabase();
    if (!spark.catalog().databaseExists(db)) {
      throw new UsageException("--output-table " + name + ": the catalog has no database '" + db + "'. Create it "
          + "(CREATE DATABASE " + db + ") or name another.");
    }
    try {
      return new Path(spark.catalog().getDatabase(db).locationUri(), table.toLowerCase(java.util.Locale.ROOT))
          .toString();
    } catch (org.apache.spark.sql.AnalysisException e) {
      throw new UsageException("--output-table " + name + ": database '" + db + "' cannot be read: " + e.getMessage());
    }
  }

  /**
   * Points {@code name} at the current build of the index in {@code root}: a view of its vectors
   * table carrying the folder, created or replaced in one catalog call.
   */
  static void register(SparkSession spark, String name, String root, String vectorsPath) {
    String location = qualified(spark, vectorsPath);
    spark.sql("CREATE OR REPLACE VIEW " + name + " TBLPROPERTIES ('" + ROOT_PROPERTY + "' = '"
        + qualified(spark, root).replace("\\", "\\\\").replace("'", "\\'") + "') AS SELECT * FROM delta.`"
        + location.replace("`", "``") + "`");
  }

  /**
   * Moves {@code name} to the current build of the index in {@code root} when the catalog still
   * gives that name to this index; false (and nothing changed) when it has no such name or gives it
   * to something else.
   */
  static boolean moveIfRegistered(SparkSession spark, String name, String root, String vectorsPath) {
    String registered;
    try {
      registered = registeredRoot(spark, name);
    } catch (UsageException e) {
      return false; // the name now belongs to a table that is not an index: leave it alone
    }
    if (registered == null || !qualified(spark, registered).equals(qualified(spark, root))) {
      return false;
    }
    register(spark, name, root, vectorsPath);
    return true;
  }

  /** {@code path} with its file system's scheme and, when relative, the working directory. */
  static String qualified(SparkSession spark, String path) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(p).toString();
    } catch (IOException e) {
      throw new IllegalStateException("cannot qualify the index path " + path + ": " + e.getMessage(), e);
    }
  }
}
