/** SQS and SNS message attributes from plain strings (both services take the same String shape). */
export function stringAttributes(attributes: Record<string, string>): Record<string, { DataType: 'String'; StringValue: string }> {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String' as const, StringValue: value }]));
}
