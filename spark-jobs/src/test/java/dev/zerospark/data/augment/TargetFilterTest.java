package dev.zerospark.data.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class TargetFilterTest {
    private static final String ARTICLE = "The city council approved a new bridge over the river on Monday after a long debate about its cost.";

    @Test
    void eachRejectionNamesItsReason() {
        TargetFilter f = new TargetFilter(3, 12, 0.5, List.of("An old riddle already in the table."));
        assertEquals(TargetFilter.EMPTY, f.reject(null, ARTICLE));
        assertEquals(TargetFilter.EMPTY, f.reject("  \n ", ARTICLE));
        assertEquals(TargetFilter.TOO_SHORT, f.reject("a bridge", ARTICLE));
        assertEquals(TargetFilter.TOO_LONG, f.reject("one two three four five six seven eight nine ten eleven twelve thirteen", ARTICLE));
        assertEquals(TargetFilter.REPEATED_LINES, f.reject("I span the water wide\nI span the water  wide", ARTICLE));
        assertEquals(TargetFilter.COPIES_ARTICLE, f.reject("The city council approved a new bridge over the river", ARTICLE));
        assertEquals(TargetFilter.DUPLICATE_TARGET, f.reject("an OLD riddle   already in the table.", ARTICLE));
        assertNull(f.reject("I cross the water yet never get wet: what am I?", ARTICLE));
        assertEquals(TargetFilter.DUPLICATE_TARGET, f.reject("I cross the water yet never get wet: what am I?", ARTICLE),
                "an accepted target counts as existing for the next");
    }
}
