package io.gtespark.udf.encode;

import io.gtespark.udf.model.ModelException;

/** A model produced NaN or infinite vector values: the task fails instead of storing them. */
public final class NonFiniteVectorException extends ModelException {
  private static final long serialVersionUID = 1L;

  public NonFiniteVectorException(String message) {
    super(message);
  }
}
