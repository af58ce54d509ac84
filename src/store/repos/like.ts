/** A LIKE pattern matching `text` anywhere, with LIKE's own wildcards escaped (ESCAPE-free: '\\' is the default on PostgreSQL only, so we strip them instead). */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[%_\\]/g, '')}%`;
}
