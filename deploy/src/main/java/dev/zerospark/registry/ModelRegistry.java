package dev.zerospark.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.registry.internal.FsModelRegistry;
import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.Optional;

/**
 * The models of one name under a registry root, on any Hadoop filesystem:
 * <ul>
 *   <li>{@code <registry>/<name>/v<N>/}: an exported HF model, its {@code MODEL_CARD.md} and {@code metrics.json};
 *       {@code metrics.json} is written last, so a version directory without it is incomplete and not listed;</li>
 *   <li>{@code <registry>/<name>/champion}: a small JSON pointer naming the champion version, written aside and
 *       renamed into place (not atomic on S3: readers that find it absent or torn fall back to the history);</li>
 *   <li>{@code <registry>/<name>/champion_history}: a Delta table with one row per champion change, the record.</li>
 * </ul>
 * Writers are serialized by the pipeline's lease; manual changes ({@code registry promote|rollback}) are for an
 * operator with no run active.
 */
public interface ModelRegistry {
    /** The registry of {@code name} under {@code registryUri}; does no I/O. */
    static ModelRegistry open(SparkSession spark, String registryUri, String name) {
        return new FsModelRegistry(spark, registryUri, name);
    }

    /** {@code <registry>/<name>}. */
    String uri();

    /** Complete versions, oldest first. */
    List<ModelVersion> versions();

    /** A complete version, or a {@link VersionNotFoundException} naming it and the registry. */
    ModelVersion version(int version);

    /** The current champion: the pointer, or the history's newest change when the pointer is absent or torn. */
    Optional<ModelVersion> champion();

    /** Every champion change, oldest first. */
    List<ChampionChange> history();

    /**
     * Copies the HF model directory at {@code sourceUri} into the next free {@code v<N>/} with {@code MODEL_CARD.md}
     * ({@code modelCard} of the final metrics, which gain {@code version}, {@code run_id} and {@code registered_at}),
     * then writes {@code metrics.json}. A version that run {@code runId} already
     * registered is returned as it is, so a rerun of a crashed promotion registers nothing twice.
     */
    ModelVersion register(String sourceUri, ObjectNode metrics, java.util.function.Function<ObjectNode, String> modelCard, String runId);

    /**
     * Makes {@code version} the champion: records the change in the history, then moves the pointer. Repeating the
     * last change (same version, action and run) records nothing new and only rewrites the pointer.
     */
    ChampionChange promote(int version, String action, String runId, String reason);

    /**
     * Makes {@code to} the champion again, or when {@code to} is null the champion before the current one; a
     * {@link NoPreviousChampionException} when there is none.
     */
    ChampionChange rollback(Integer to, String reason);
}
