package dev.zerospark.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.PipelineConfig;
import dev.zerospark.registry.ChampionChange;
import dev.zerospark.registry.ModelRegistry;
import dev.zerospark.registry.ModelVersion;
import dev.zerospark.spark.SparkSessions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** {@code zerospark registry list|show|promote|rollback}: the registered versions, the champion and its history. */
@Command(name = "registry", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Registered model versions, their metrics, the champion and its history; manual promotion and rollback.",
        subcommands = {RegistryCommand.ListCmd.class, RegistryCommand.Show.class, RegistryCommand.Promote.class, RegistryCommand.Rollback.class})
public final class RegistryCommand {
    /** The registry and model name, from --config's pipeline section or the flags. */
    static final class Where {
        @Mixin ConfigOption config;
        @Option(names = "--registry", paramLabel = "URI", descriptionKey = "pipeline.registry") String registry;
        @Option(names = "--name", paramLabel = "NAME", descriptionKey = "pipeline.name") String name;
        @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[2]).") String master;

        ModelRegistry open(picocli.CommandLine.Model.CommandSpec spec) {
            PipelineConfig p = config.load(spec).pipeline();
            if (p.registry() == null) throw new ConfigException("pipeline.registry", "pipeline.registry is required (--registry or the config file)");
            if (p.name() == null) throw new ConfigException("pipeline.name", "pipeline.name is required (--name or the config file)");
            String m = master != null ? master : System.getProperty("spark.master") != null ? null : "local[2]";
            return ModelRegistry.open(SparkSessions.getOrCreate("zerospark-registry", m, Map.of()), p.registry(), p.name());
        }
    }

    static ObjectNode json(ChampionChange c) {
        ObjectNode o = JsonNodeFactory.instance.objectNode().put("changed_at", c.changedAt().toString()).put("action", c.action());
        if (c.fromVersion() == null) o.putNull("from_version");
        else o.put("from_version", c.fromVersion());
        return o.put("to_version", c.toVersion()).put("run_id", c.runId()).put("reason", c.reason());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "One line per version (champion marked) and the champion history; last line JSON.")
    static final class ListCmd implements Runnable {
        @Mixin Where where;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            ModelRegistry r = where.open(spec);
            PrintWriter out = spec.commandLine().getOut();
            Optional<ModelVersion> champion = r.champion();
            ArrayNode versions = JsonNodeFactory.instance.arrayNode();
            for (ModelVersion v : r.versions()) {
                boolean isChampion = champion.map(c -> c.version() == v.version()).orElse(false);
                out.printf(Locale.ROOT, "%-5s %-9s run %-28s %s%n", v.label(), isChampion ? "champion" : "", v.runId(),
                        v.metrics().path("eval").path("metrics"));
                versions.addObject().put("version", v.version()).put("uri", v.uri()).put("champion", isChampion)
                        .put("run_id", v.runId()).set("eval", v.metrics().path("eval").path("metrics"));
            }
            ArrayNode history = JsonNodeFactory.instance.arrayNode();
            for (ChampionChange c : r.history()) {
                out.printf(Locale.ROOT, "%s %-15s %s -> v%d  %s%n", c.changedAt(), c.action(), c.fromVersion() == null ? "none" : "v" + c.fromVersion(),
                        c.toVersion(), c.reason() == null ? "" : c.reason());
                history.add(json(c));
            }
            ObjectNode o = JsonNodeFactory.instance.objectNode().put("registry", r.uri());
            if (champion.isPresent()) o.put("champion", champion.get().version());
            else o.putNull("champion");
            o.set("versions", versions);
            o.set("history", history);
            out.println(o);
            out.flush();
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "A version's metrics.json (the champion's when no VERSION is given).")
    static final class Show implements Runnable {
        @Mixin Where where;
        @Parameters(index = "0", arity = "0..1", paramLabel = "VERSION", description = "Version number, e.g. 3 or v3 (default: the champion).") String version;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            ModelRegistry r = where.open(spec);
            ModelVersion v = version != null ? r.version(parseVersion(spec, version))
                    : r.champion().orElseThrow(() -> new ConfigException("", "registry " + r.uri() + " has no champion; name a VERSION"));
            PrintWriter out = spec.commandLine().getOut();
            out.println(v.uri());
            ObjectNode o = v.metrics().deepCopy();
            o.put("uri", v.uri()).put("champion", r.champion().map(c -> c.version() == v.version()).orElse(false));
            out.println(o);
            out.flush();
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Make VERSION the champion by hand (recorded in champion_history as manual_promote).")
    static final class Promote implements Runnable {
        @Mixin Where where;
        @Parameters(index = "0", paramLabel = "VERSION", description = "Version number, e.g. 3 or v3.") String version;
        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the history (default: manual promotion).") String reason;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            ModelRegistry r = where.open(spec);
            ChampionChange c = r.promote(parseVersion(spec, version), ChampionChange.MANUAL_PROMOTE, null,
                    reason != null ? reason : "manual promotion");
            spec.commandLine().getOut().println(json(c));
            spec.commandLine().getOut().flush();
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Make the previous champion (or --to VERSION) the champion again (recorded as rollback).")
    static final class Rollback implements Runnable {
        @Mixin Where where;
        @Option(names = "--to", paramLabel = "VERSION", description = "Version to roll back to (default: the champion before the current one).") String to;
        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the history (default: manual rollback).") String reason;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            ModelRegistry r = where.open(spec);
            ChampionChange c = r.rollback(to == null ? null : parseVersion(spec, to), reason != null ? reason : "manual rollback");
            spec.commandLine().getOut().println(json(c));
            spec.commandLine().getOut().flush();
        }
    }

    static int parseVersion(picocli.CommandLine.Model.CommandSpec spec, String v) {
        String digits = v.startsWith("v") ? v.substring(1) : v;
        if (!digits.matches("[1-9][0-9]{0,8}")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "version '" + v + "' is not a version number such as 3 or v3");
        }
        return Integer.parseInt(digits);
    }
}
