namespace EmailPipeline.Smtp.Parsing;

/// <summary>MAIL RET= (RFC 3461 §4.3).</summary>
public enum DsnReturnParameter
{
    NotGiven = 0,
    Full,
    Headers,
}
