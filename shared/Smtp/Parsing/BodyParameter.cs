namespace EmailPipeline.Smtp.Parsing;

/// <summary>MAIL BODY= (RFC 6152 8BITMIME, RFC 3030 BINARYMIME).</summary>
public enum BodyParameter
{
    NotGiven = 0,
    SevenBit,
    EightBitMime,
    BinaryMime,
}
