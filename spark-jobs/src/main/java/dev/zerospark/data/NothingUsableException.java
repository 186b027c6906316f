package dev.zerospark.data;

import dev.zerospark.config.PrepareConfig;

import java.util.List;
import java.util.Map;

/** {@code prepare} quarantined every input record: nothing to train on, so the run failed, with what to change. */
public final class NothingUsableException extends RuntimeException {
    public NothingUsableException(long input, Map<String, Long> reasons, List<String> fieldsFound, PrepareConfig.Fields fields) {
        super("all " + input + " input records were quarantined " + reasons
                + "; fields found in the first records: " + (fieldsFound.isEmpty() ? "(none readable)" : String.join(", ", fieldsFound))
                + "; the job looked for id=" + fields.id() + ", title=" + fields.title() + ", body=" + fields.body()
                + ", target=" + fields.target() + ": set them with --id-field, --title-field, --body-field, --target-field"
                + " (or prepare.fields.* in --config)");
    }
}
