"""Writing an SDK DAG to the metadata database the way the scheduler would see it (serialized, with a version)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.utils.session import NEW_SESSION, provide_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def create_scheduler_dag(dag):
    """The scheduler-side (serialized) form of an SDK DAG: what task instances are built from in Airflow 3."""
    from airflow.serialization.serialized_objects import DagSerialization, SerializedDAG

    if isinstance(dag, SerializedDAG):
        return dag
    return DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))


@provide_session
def sync_dag_to_db(dag, bundle_name: str = "testing", bundle_version=None, session: Session = NEW_SESSION):
    """Write the DAG, its bundle, serialized form and version rows; return the serialized DAG read back."""
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.serialization.serialized_objects import DagSerialization, LazyDeserializedDAG, SerializedDAG

    session.merge(DagBundleModel(name=bundle_name))
    session.flush()
    SerializedDAG.bulk_write_to_db(bundle_name, bundle_version, [dag], session=session)
    data = DagSerialization.to_dict(dag)
    SerializedDagModel.write_dag(LazyDeserializedDAG(data=data), bundle_name, bundle_version, session=session)
    session.flush()
    stored = SerializedDagModel.get(dag.dag_id, session=session)
    if stored is None:
        raise RuntimeError(f"Serialized Dag {dag.dag_id!r} was not written")
    return stored.dag
