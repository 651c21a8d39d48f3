package io.gtespark.job.sql;

import io.gtespark.job.cli.OptionSpec;
import io.gtespark.job.cli.UsageException;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Usage errors as a SQL user acts on them: the shared checks behind a table function name the
 * command line's flags ("name it with --id-col"), which a {@code spark-sql} session sets as
 * session properties ({@code SET spark.gte.idCol=...}).
 */
final class SqlUsage {
  private SqlUsage() {}

  /** {@code e}'s message with every flag of {@code specs} replaced by its session property. */
  static UsageException inSqlTerms(UsageException e, List<OptionSpec> specs) {
    String message = e.getMessage();
    // Longest first, and whole flags only: --with must not rewrite part of --with-text.
    List<OptionSpec> byLength = specs.stream().filter(s -> s.property() != null)
        .sorted(Comparator.comparingInt((OptionSpec s) -> s.flag().length()).reversed()).toList();
    for (OptionSpec s : byLength) {
      message = Pattern.compile(Pattern.quote(s.flag()) + "(?![A-Za-z0-9-])").matcher(message)
          .replaceAll(Matcher.quoteReplacement("the session property " + s.property()));
    }
    if (message.equals(e.getMessage())) {
      return e;
    }
    UsageException translated = new UsageException(message);
    translated.setStackTrace(e.getStackTrace());
    return translated;
  }
}
