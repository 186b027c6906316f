package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.NothingUsableException;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.PrepareResult;
import dev.zerospark.data.ingest.InputFields;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageResult;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code prepare} on {@code prepare.input}: incremental, so only articles the tables lack are added. */
public final class PrepareStage implements Stage {
    @Override
    public String name() {
        return PREPARE;
    }

    @Override
    public StageResult run(StageContext ctx) throws Exception {
        PrepareConfig cfg = ctx.config().prepare();
        PrepareResult r = PrepareJob.run(ctx.spark(), cfg);
        if (r.input() > 0 && r.clean() == 0 && r.quarantined() == r.input()) {
            throw new NothingUsableException(r.input(), r.quarantineReasons(),
                    InputFields.found(ctx.spark(), cfg, PrepareJob.table(cfg, PrepareJob.QUARANTINE), r.runId()), cfg.fields());
        }
        Map<String, Long> written = new LinkedHashMap<>();
        r.tableVersions().forEach((table, version) -> {
            if (version >= 0) written.put(table, version);
        });
        ObjectNode metrics = (ObjectNode) ConfigLoader.jsonMapper().readTree(r.toJson());
        return StageResult.succeeded(Map.of(), written, metrics);
    }
}
