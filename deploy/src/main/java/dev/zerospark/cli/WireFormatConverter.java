package dev.zerospark.cli;

import dev.zerospark.collective.WireFormat;
import picocli.CommandLine;

/** Parses fp32 | bf16 | fp16 (and DeepSpeed's spellings) for flags of type {@link WireFormat}; picocli names the flag. */
final class WireFormatConverter implements CommandLine.ITypeConverter<WireFormat> {
    @Override
    public WireFormat convert(String value) {
        try {
            return WireFormat.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
