/** A chart's data as a table, folded under "Data": what a screen reader or a copy-paste reads instead of the canvas. */
export function DataTableDetails(props: { caption: string; columns: string[]; rows: string[][]; empty?: string }) {
  return (
    <details class="chart-data">
      <summary>Data</summary>
      {props.rows.length === 0 ? (
        <p>{props.empty ?? 'No data in this range.'}</p>
      ) : (
        <table>
          <caption>{props.caption}</caption>
          <thead>
            <tr>
              {props.columns.map((column) => (
                <th scope="col" key={column}>{column}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <tr key={row[0]}>
                {row.map((cell, i) => (i === 0 ? <th scope="row" key={i}>{cell}</th> : <td key={i}>{cell}</td>))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
