// The tests read MLflow with the same REST queries as the chaos bench.
export * from '../../bench/mlflow-queries';
