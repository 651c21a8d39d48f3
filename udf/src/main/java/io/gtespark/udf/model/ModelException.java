package io.gtespark.udf.model;

/**
 * A model that cannot be used: missing or unreadable files, a file that is not a model, or a
 * model whose inputs, outputs or dimension disagree with what was asked. The message names the
 * file or setting and says what to do.
 */
public class ModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelException(String message) {
    super(message);
  }

  public ModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
