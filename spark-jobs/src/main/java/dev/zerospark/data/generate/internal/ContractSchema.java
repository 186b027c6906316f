package dev.zerospark.data.generate.internal;

import dev.zerospark.table.TableContract;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** A {@link TableContract}'s columns as a Spark schema, in the contract's order. */
public final class ContractSchema {
    private ContractSchema() {}

    public static StructType of(TableContract contract) {
        StructField[] fields = contract.columns().stream()
                .map(c -> DataTypes.createStructField(c.name(), type(c.type()), c.nullable()))
                .toArray(StructField[]::new);
        return DataTypes.createStructType(fields);
    }

    private static DataType type(TableContract.ColumnType t) {
        return switch (t) {
            case STRING -> DataTypes.StringType;
            case BOOLEAN -> DataTypes.BooleanType;
            case INT -> DataTypes.IntegerType;
            case LONG -> DataTypes.LongType;
            case DOUBLE -> DataTypes.DoubleType;
            case TIMESTAMP -> DataTypes.TimestampType;
            case INT_ARRAY -> DataTypes.createArrayType(DataTypes.IntegerType, false);
            case LONG_ARRAY -> DataTypes.createArrayType(DataTypes.LongType, false);
            case BYTE_ARRAY -> DataTypes.BinaryType;
        };
    }
}
