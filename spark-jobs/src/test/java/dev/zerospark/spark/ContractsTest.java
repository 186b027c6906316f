package dev.zerospark.spark;

import dev.zerospark.table.Generations;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.table.TableContract;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ContractsTest {
    @Test
    void everyColumnTypeHasItsSparkTypeAndNullability() {
        TableContract all = new TableContract("all", List.of(
                TableContract.Column.required("s", TableContract.ColumnType.STRING),
                TableContract.Column.optional("b", TableContract.ColumnType.BOOLEAN),
                TableContract.Column.required("i", TableContract.ColumnType.INT),
                TableContract.Column.required("l", TableContract.ColumnType.LONG),
                TableContract.Column.required("d", TableContract.ColumnType.DOUBLE),
                TableContract.Column.required("t", TableContract.ColumnType.TIMESTAMP),
                TableContract.Column.required("ia", TableContract.ColumnType.INT_ARRAY),
                TableContract.Column.required("la", TableContract.ColumnType.LONG_ARRAY),
                TableContract.Column.optional("ba", TableContract.ColumnType.BYTE_ARRAY)), List.of("s"));
        StructType want = new StructType()
                .add("s", DataTypes.StringType, false)
                .add("b", DataTypes.BooleanType, true)
                .add("i", DataTypes.IntegerType, false)
                .add("l", DataTypes.LongType, false)
                .add("d", DataTypes.DoubleType, false)
                .add("t", DataTypes.TimestampType, false)
                .add("ia", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                .add("la", DataTypes.createArrayType(DataTypes.LongType, false), false)
                .add("ba", DataTypes.BinaryType, true);
        assertEquals(want, Contracts.schema(all));
        assertEquals(TableContract.ColumnType.values().length, all.columns().size(), "every type is covered");
    }

    @Test
    void contractsKeepTheirColumnOrder() {
        assertEquals(List.of("block_id", "split", "input_ids", "run_id"), List.of(Contracts.schema(LmBlocks.CONTRACT).fieldNames()));
        StructType g = Contracts.schema(Generations.CONTRACT);
        assertEquals(Generations.CONTRACT.names(), List.of(g.fieldNames()));
        StructField at = g.apply(Generations.GENERATED_AT);
        assertEquals(DataTypes.TimestampType, at.dataType());
    }
}
