using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace EmailPipeline.Observability.Tests.Support;

/// <summary>
/// Decodes an OTLP ExportTraceServiceRequest (opentelemetry-proto, trace/v1/trace.proto) from the protobuf wire
/// format — only the fields the tests read: resource attribute service.name, scope name, and per span the ids,
/// name, kind and string/int attributes. Unknown fields are skipped by wire type, as protobuf requires.
/// </summary>
public static class OtlpTraceDecoder
{
    public static IReadOnlyList<ReceivedSpan> Decode(byte[] request)
    {
        var spans = new List<ReceivedSpan>();
        foreach ((int field, ReadOnlyMemory<byte> resourceSpans) in Messages(request))
        {
            if (field != 1)
            {
                continue;
            }

            string service = "";
            var scopeSpansList = new List<ReadOnlyMemory<byte>>();
            foreach ((int f, ReadOnlyMemory<byte> value) in Messages(resourceSpans))
            {
                if (f == 1)
                {
                    // Resource { repeated KeyValue attributes = 1; }
                    service = Attributes(value, 1).GetValueOrDefault("service.name", "");
                }
                else if (f == 2)
                {
                    scopeSpansList.Add(value);
                }
            }

            foreach (ReadOnlyMemory<byte> scopeSpans in scopeSpansList)
            {
                string scope = "";
                foreach ((int f, ReadOnlyMemory<byte> value) in Messages(scopeSpans))
                {
                    if (f == 1)
                    {
                        // InstrumentationScope { string name = 1; }
                        scope = Messages(value).Where(m => m.Field == 1).Select(m => Encoding.UTF8.GetString(m.Value.Span)).FirstOrDefault() ?? "";
                    }
                    else if (f == 2)
                    {
                        spans.Add(Span(service, scope, value));
                    }
                }
            }
        }

        return spans;
    }

    private static ReceivedSpan Span(string service, string scope, ReadOnlyMemory<byte> span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        int kind = 0;
        var reader = new WireReader(span);
        while (reader.Next(out int field, out int wireType))
        {
            switch (field, wireType)
            {
                case (1, 2): traceId = Convert.ToHexStringLower(reader.Bytes().Span); break;
                case (2, 2): spanId = Convert.ToHexStringLower(reader.Bytes().Span); break;
                case (4, 2): parent = Convert.ToHexStringLower(reader.Bytes().Span); break;
                case (5, 2): name = Encoding.UTF8.GetString(reader.Bytes().Span); break;
                case (6, 0): kind = (int)reader.Varint(); break;
                default: reader.Skip(wireType); break;
            }
        }

        return new ReceivedSpan(service, scope, traceId, spanId, parent, name, kind, Attributes(span, 9));
    }

    /// <summary>The KeyValue messages in field <paramref name="field"/>: string, bool, int and double values as text.</summary>
    private static Dictionary<string, string> Attributes(ReadOnlyMemory<byte> message, int field)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((int f, ReadOnlyMemory<byte> keyValue) in Messages(message))
        {
            if (f != field)
            {
                continue;
            }

            string key = "", value = "";
            foreach ((int kvField, ReadOnlyMemory<byte> kvValue) in Messages(keyValue))
            {
                if (kvField == 1)
                {
                    key = Encoding.UTF8.GetString(kvValue.Span);
                }
                else if (kvField == 2)
                {
                    value = AnyValue(kvValue);
                }
            }

            attributes[key] = value;
        }

        return attributes;
    }

    /// <summary>AnyValue { string_value = 1; bool_value = 2; int_value = 3; double_value = 4; … }.</summary>
    private static string AnyValue(ReadOnlyMemory<byte> any)
    {
        var reader = new WireReader(any);
        while (reader.Next(out int field, out int wireType))
        {
            switch (field, wireType)
            {
                case (1, 2): return Encoding.UTF8.GetString(reader.Bytes().Span);
                case (2, 0): return reader.Varint() != 0 ? "true" : "false";
                case (3, 0): return ((long)reader.Varint()).ToString(CultureInfo.InvariantCulture);
                case (4, 1): return BitConverter.Int64BitsToDouble((long)reader.Fixed64()).ToString(CultureInfo.InvariantCulture);
                default: reader.Skip(wireType); break;
            }
        }

        return "";
    }

    /// <summary>The length-delimited fields of a message (sub-messages, strings, bytes); others are skipped.</summary>
    private static List<(int Field, ReadOnlyMemory<byte> Value)> Messages(ReadOnlyMemory<byte> message)
    {
        var fields = new List<(int, ReadOnlyMemory<byte>)>();
        var reader = new WireReader(message);
        while (reader.Next(out int field, out int wireType))
        {
            if (wireType == 2)
            {
                fields.Add((field, reader.Bytes()));
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return fields;
    }

    private struct WireReader(ReadOnlyMemory<byte> data)
    {
        private int _position;

        public bool Next(out int field, out int wireType)
        {
            if (_position >= data.Length)
            {
                field = wireType = 0;
                return false;
            }

            ulong tag = Varint();
            field = (int)(tag >> 3);
            wireType = (int)(tag & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_position >= data.Length)
                {
                    throw new FormatException("truncated varint");
                }

                byte b = data.Span[_position++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }

            throw new FormatException("varint too long");
        }

        public ulong Fixed64()
        {
            ulong v = BinaryPrimitives.ReadUInt64LittleEndian(Take(8).Span);
            return v;
        }

        public ReadOnlyMemory<byte> Bytes() => Take(checked((int)Varint()));

        public void Skip(int wireType)
        {
            switch (wireType)
            {
                case 0: Varint(); break;
                case 1: Take(8); break;
                case 2: Bytes(); break;
                case 5: Take(4); break;
                default: throw new FormatException($"unsupported wire type {wireType}");
            }
        }

        private ReadOnlyMemory<byte> Take(int length)
        {
            if (length < 0 || _position + length > data.Length)
            {
                throw new FormatException("truncated field");
            }

            ReadOnlyMemory<byte> slice = data.Slice(_position, length);
            _position += length;
            return slice;
        }
    }
}
