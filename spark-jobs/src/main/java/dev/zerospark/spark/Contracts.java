package dev.zerospark.spark;

import dev.zerospark.table.TableContract;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The one place a {@link TableContract}'s column types become Spark types. */
public final class Contracts {
    private Contracts() {}

    /** The contract's columns, in order, as a Spark schema (nullability as declared). */
    public static StructType schema(TableContract contract) {
        StructType s = new StructType();
        for (TableContract.Column c : contract.columns()) s = s.add(c.name(), type(c.type()), c.nullable());
        return s;
    }

    /** Arrays hold no nulls: token ids, masks and hashes are primitive arrays. */
    public static DataType type(TableContract.ColumnType type) {
        return switch (type) {
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
