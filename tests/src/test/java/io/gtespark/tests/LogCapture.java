package io.gtespark.tests;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.Property;

/** Collects every log event of this JVM (INFO and up, with stack traces) while open. */
final class LogCapture extends AbstractAppender implements AutoCloseable {
  private final StringBuffer text = new StringBuffer();
  private final Level previousRoot;

  LogCapture() {
    super("gte-test-capture", null, null, true, Property.EMPTY_ARRAY);
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    previousRoot = ctx.getConfiguration().getRootLogger().getLevel();
    start();
    ctx.getConfiguration().getRootLogger().addAppender(this, Level.ALL, null);
    Configurator.setRootLevel(Level.INFO);
    ctx.updateLoggers();
  }

  @Override
  public void append(LogEvent event) {
    text.append(event.getLoggerName()).append(": ").append(event.getMessage().getFormattedMessage()).append('\n');
    if (event.getThrown() != null) {
      StringWriter w = new StringWriter();
      event.getThrown().printStackTrace(new PrintWriter(w));
      text.append(w).append('\n');
    }
  }

  String text() {
    return text.toString();
  }

  @Override
  public void close() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getRootLogger().removeAppender(getName());
    Configurator.setRootLevel(previousRoot);
    ctx.updateLoggers();
    stop();
  }
}
