package io.gtespark.udf.spark;

import io.gtespark.udf.SettingException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML Transformer that appends a GTE sentence embedding ({@code array<float>}) of a text
 * column. Works in a {@code Pipeline} (e.g. before {@code KMeans}, via {@code array_to_vector})
 * and with ML persistence. Params left unset fall back to the session's {@code spark.gte.*}
 * properties, then to the defaults in {@link GteConf}.
 */
public final class GteEmbedder extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> outputCol;
  private final Param<String> model;
  private final IntParam maxLength;
  private final Param<String> pooling;
  private final Param<String> device;
  private final IntParam batchMaxTokens;
  private final Param<String> longText;
  private final Param<String> emptyText;
  private final Param<String> outputType;

  public GteEmbedder() {
    this(Identifiable.randomUID("gteEmbedder"));
  }

  /** The constructor ML persistence calls. */
  public GteEmbedder(String uid) {
    this.uid = uid;
    inputCol = new Param<>(this, "inputCol", "string column of texts to embed");
    outputCol = new Param<>(this, "outputCol", "array<float> column to write the vectors to");
    model = new Param<>(this, "model", "bundled model name or model directory (local path or Hadoop URI)");
    maxLength = new IntParam(this, "maxLength", "max tokens per text incl. special tokens; 0 = model default",
        ParamValidators.gtEq(0));
    pooling = new Param<>(this, "pooling", "cls, mean, or empty for the model's own",
        ParamValidators.inArray(new String[] {"", "cls", "mean"}));
    device = new Param<>(this, "device", "auto, cpu or cuda",
        ParamValidators.inArray(new String[] {"auto", "cpu", "cuda"}));
    batchMaxTokens = new IntParam(this, "batchMaxTokens",
        "token budget per batch (rows x padded length); 0 = device default", ParamValidators.gtEq(0));
    longText = new Param<>(this, "longText", "truncate or window",
        ParamValidators.inArray(new String[] {"truncate", "window"}));
    emptyText = new Param<>(this, "emptyText", "null or embed: what a text without tokens becomes",
        ParamValidators.inArray(new String[] {"null", "embed"}));
    outputType = new Param<>(this, "outputType",
        "array (array<float>, the storage type) or vector (ml.linalg.Vector, what KMeans and LSH read)",
        ParamValidators.inArray(new String[] {"array", "vector"}));
    setDefault(outputCol, "embedding");
    setDefault(outputType, "array");
    setDefault(model, GteConf.MODEL_DEFAULT);
    setDefault(maxLength, GteConf.MAX_LENGTH_DEFAULT);
    setDefault(pooling, GteConf.POOLING_DEFAULT);
    setDefault(device, GteConf.DEVICE_DEFAULT);
    setDefault(batchMaxTokens, GteConf.BATCH_MAX_TOKENS_DEFAULT);
    setDefault(longText, GteConf.LONG_TEXT_DEFAULT);
    setDefault(emptyText, GteConf.EMPTY_TEXT_DEFAULT);
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> outputCol() {
    return outputCol;
  }

  public Param<String> model() {
    return model;
  }

  public IntParam maxLength() {
    return maxLength;
  }

  public Param<String> pooling() {
    return pooling;
  }

  public Param<String> device() {
    return device;
  }

  public IntParam batchMaxTokens() {
    return batchMaxTokens;
  }

  public Param<String> longText() {
    return longText;
  }

  public Param<String> emptyText() {
    return emptyText;
  }

  public Param<String> outputType() {
    return outputType;
  }

  public GteEmbedder setOutputType(String v) {
    set(outputType, v);
    return this;
  }

  public String getOutputType() {
    return $(outputType);
  }

  public GteEmbedder setInputCol(String v) {
    set(inputCol, v);
    return this;
  }

  public GteEmbedder setOutputCol(String v) {
    set(outputCol, v);
    return this;
  }

  public GteEmbedder setModel(String v) {
    set(model, v);
    return this;
  }

  public GteEmbedder setMaxLength(int v) {
    set(maxLength, v);
    return this;
  }

  public GteEmbedder setPooling(String v) {
    set(pooling, v);
    return this;
  }

  public GteEmbedder setDevice(String v) {
    set(device, v);
    return this;
  }

  public GteEmbedder setBatchMaxTokens(int v) {
    set(batchMaxTokens, v);
    return this;
  }

  public GteEmbedder setLongText(String v) {
    set(longText, v);
    return this;
  }

  public GteEmbedder setEmptyText(String v) {
    set(emptyText, v);
    return this;
  }

  public String getInputCol() {
    return $(inputCol);
  }

  public String getOutputCol() {
    return $(outputCol);
  }

  public String getModel() {
    return $(model);
  }

  public int getMaxLength() {
    return (Integer) $(maxLength);
  }

  public String getPooling() {
    return $(pooling);
  }

  public String getDevice() {
    return $(device);
  }

  /** Settings for {@code dataset}'s session: set params win over {@code spark.gte.*} properties. */
  EmbeddingSettings settings(org.apache.spark.sql.SparkSession spark) {
    Map<String, String> fromParams = new HashMap<>();
    putIfSet(fromParams, GteConf.MODEL, model);
    putIfSet(fromParams, GteConf.MAX_LENGTH, maxLength);
    putIfSet(fromParams, GteConf.POOLING, pooling);
    putIfSet(fromParams, GteConf.DEVICE, device);
    putIfSet(fromParams, GteConf.BATCH_MAX_TOKENS, batchMaxTokens);
    putIfSet(fromParams, GteConf.LONG_TEXT, longText);
    putIfSet(fromParams, GteConf.EMPTY_TEXT, emptyText);
    return EmbeddingSettings.fromSession(spark).with(fromParams);
  }

  private void putIfSet(Map<String, String> m, String key, Param<?> p) {
    if (isSet(p)) {
      m.put(key, String.valueOf($(p)));
    }
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    EmbeddingColumns columns = columns(dataset.schema());
    Dataset<Row> df = dataset.toDF();
    Dataset<Row> out = DatasetEmbedder.embed(df, settings(df.sparkSession()).toSpec(df.sparkSession()), columns, null);
    if (getOutputType().equals("vector")) {
      out = out.withColumn(getOutputCol(), org.apache.spark.ml.functions.array_to_vector(out.col(getOutputCol())));
    }
    return out;
  }

  private EmbeddingColumns columns(StructType schema) {
    if (!isDefined(inputCol)) {
      throw new SettingException("GteEmbedder needs an input column: call setInputCol(\"text\").");
    }
    return EmbeddingColumns.of(schema, List.of(getInputCol()), List.of(getOutputCol()));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    StructType out = columns(schema).outputSchema();
    if (getOutputType().equals("vector")) {
      StructType replaced = new StructType();
      for (org.apache.spark.sql.types.StructField f : out.fields()) {
        replaced = f.name().equals(getOutputCol())
            ? replaced.add(f.name(), new org.apache.spark.ml.linalg.VectorUDT(), true) : replaced.add(f);
      }
      return replaced;
    }
    return out;
  }

  @Override
  public GteEmbedder copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** Reader for ML persistence ({@code GteEmbedder.load(path)}, {@code Pipeline.load}). */
  public static MLReader<GteEmbedder> read() {
    return new DefaultParamsReader<>();
  }

  /** Loads a GteEmbedder saved with {@code write().save(path)}. */
  public static GteEmbedder load(String path) {
    return read().load(path);
  }
}
