package io.gtespark.udf.model;

/**
 * The model's files could not be read or copied because the store failed (an HDFS or object-store
 * outage, a full or unreadable local disk), not because the model is wrong: the same command may
 * succeed when run again, so the command line exits 1, not 2. The message names the file.
 */
public class ModelStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
